# Two commands do all the set-up:  `make run` (the dashboard)  and  `make test` (the suite).
# `make serve` is the production server (public settings + the scheduled price refresh).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run serve test check build bench bench-pages bench-browser lint clean

# the developer's server: watches the code, shows full error details, no scheduled refresh
run: $(VENV)/.runtime
	$(PY) -m streamlit run server.py --server.port $(PORT) --server.headless true

# for readers: python -m aiwatch serve (settings from AIWATCH_ADDRESS, AIWATCH_PORT,
# AIWATCH_REFRESH_AT, ...; `PORT=8600 make serve` works as for run)
serve: $(VENV)/.runtime
	$(PY) -m aiwatch serve $(if $(filter command line environment,$(origin PORT)),--port $(PORT))

test: $(VENV)/.dev
	scripts/ensure-chromium.sh
	scripts/ensure-poppler.sh
	scripts/ensure-nginx.sh
	$(PY) -m ruff check .
	$(PY) -m pytest

check: $(VENV)/.runtime
	$(PY) -m aiwatch check

build: $(VENV)/.runtime
	$(PY) -m aiwatch build

bench: $(VENV)/.dev
	$(PY) -m bench

bench-pages: $(VENV)/.dev
	$(PY) -m bench.pages

bench-browser: $(VENV)/.dev
	scripts/ensure-chromium.sh
	$(PY) -m bench.browser

lint: $(VENV)/.dev
	$(PY) -m ruff check .

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

clean:
	rm -rf $(VENV) var .pytest_cache artifacts
