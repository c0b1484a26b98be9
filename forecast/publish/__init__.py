"""Publishing: what a reader sees of a forecast.

- :mod:`.html` renders the package's Jinja templates with autoescaping on;
- :mod:`.plots` draws the charts (matplotlib, imported only there);
- :mod:`.report` is one question's report as of one date, cell by cell of ``update.ipynb``;
- :mod:`.explore` is the what-if explorer of ``explore.ipynb``;
- :mod:`.scorecard` scores the resolved questions (``scorecard.ipynb``);
- :mod:`.render` turns an executed notebook into a page, and writes the index.

Nothing is imported here, so that importing one of these does not load the others.
"""
