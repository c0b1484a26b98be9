# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run    set up, then run every bundled question and print the path of reports/index.html
#   make test   set up (with test dependencies, Airflow's environment and Chromium), then run every test
#   make docs   regenerate the screenshots (docs/*.png) from the bundled data
#   make site   build the documentation site into site/ (mkdocs build --strict)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
DATA   ?= data
OUT    ?= reports
# Airflow lives in an environment of its own (it pins much of what it needs); the tests drive it
# through its `airflow` command. Only requirements-airflow.txt installs it.
AIRFLOW_VENV := .venv-airflow

.PHONY: run test test-fast lint format bench validate setup setup-dev setup-airflow chromium clean docs site

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "forecast needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt constraints.txt pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -r requirements.txt -c constraints.txt
	@# setuptools cautions, in ten lines, about folders named like the package beside an editable
	@# install (the notebooks are mapped into it); nothing here is one, so the caution is silenced.
	PYTHONWARNINGS=ignore::UserWarning $(PIP) install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt requirements-docs.txt
	$(PIP) install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

$(AIRFLOW_VENV)/.installed: requirements-airflow.txt requirements.txt constraints-airflow.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "forecast needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet -r requirements-airflow.txt -c constraints-airflow.txt
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --no-deps -e .
	@touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev
setup-airflow: $(AIRFLOW_VENV)/.installed

run: $(VENV)/.runtime
	$(BIN)/forecast run --data $(DATA) --out $(OUT)

validate: $(VENV)/.runtime
	$(BIN)/forecast validate --data $(DATA)

# Every test, none skipped: the Airflow tests and the browser tests fail, rather than skip, without
# their environment. Airflow's is built once (the stamp keeps it until its requirements change).
test: $(VENV)/.dev $(AIRFLOW_VENV)/.installed chromium
	FORECAST_REQUIRE_AIRFLOW=1 FORECAST_REQUIRE_BROWSER=1 $(BIN)/python -m pytest

# The quick part, for daily work: no kernels, no browser, no Airflow.
test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -m "not slow"

# The browser tests drive Debian's Chromium: installed here when run as root on a machine with
# apt-get, otherwise asked for.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; \
	else \
	  echo "make test runs the browser tests in Debian's Chromium, which is not installed here:" >&2; \
	  echo "  sudo apt-get install chromium fonts-dejavu-core, then make test again" >&2; \
	  echo "  (make test-fast runs the quick part, without the browser, kernels or Airflow)" >&2; \
	  exit 1; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check forecast tests benchmarks
	$(BIN)/ruff format --check forecast tests benchmarks

format: $(VENV)/.dev
	$(BIN)/ruff format forecast tests benchmarks
	$(BIN)/ruff check --fix forecast tests benchmarks

# The README's screenshots, from the bundled data, in headless Chromium (apt-get install chromium).
docs: $(VENV)/.dev
	$(BIN)/python docs/screenshots.py

# The documentation site, from mkdocs.yml and docs/*.md, into site/; any warning is an error.
site: $(VENV)/.dev
	$(BIN)/mkdocs build --strict --site-dir site

# Every benchmark, the Airflow one included (it builds Airflow's environment once, as make test does).
bench: $(VENV)/.dev $(AIRFLOW_VENV)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) reports .pytest_cache .hypothesis
