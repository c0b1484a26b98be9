"""The notebooks forecast runs, installed as the package ``forecast.notebooks`` (see pyproject.toml)."""
