# Two commands do all the set-up:  `make run` (the dashboard)  and  `make test` (the suite).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test check build bench bench-pages bench-browser lint clean

run: $(VENV)/.runtime
	$(PY) -m streamlit run server.py --server.port $(PORT) --server.headless true

test: $(VENV)/.dev
	scripts/ensure-chromium.sh
	scripts/ensure-poppler.sh
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
