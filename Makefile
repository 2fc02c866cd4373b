# The README's two commands are `make book` and `make test`; the others are for authors.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SANITIZE := tests/nbval_sanitize.cfg
NOTEBOOKS := $(sort $(wildcard book/[0-9][0-9]_*.ipynb))
LINTED := cecode tests benchmarks scripts book

.PHONY: help setup book test test-python test-notebooks lint format execute bench lab clean

help:
	@echo "make book     build the website into _build/html (creates .venv if missing)"
	@echo "make test     everything CI checks: lint, unit tests, notebooks (nbval), site, browser"
	@echo "make execute  re-run notebooks and store normalized outputs (NB=book/01_...ipynb for one)"
	@echo "make bench    run the benchmarks and print their ratio tables"
	@echo "make lab      open the book in JupyterLab with the project's kernel"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is in $(CURDIR)/_build/html/index.html"

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: setup
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

test-python: setup
	$(BIN)/python -m pytest tests -q

test-notebooks: setup
	$(BIN)/python -m pytest --nbval book --nbval-sanitize-with $(SANITIZE) --nbval-current-env --nbval-cell-timeout=120 -q

test: lint test-python test-notebooks

execute: setup
	$(BIN)/python scripts/execute_notebooks.py $(or $(NB),$(NOTEBOOKS))

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lab: setup
	$(BIN)/jupyter lab book

clean:
	rm -rf _build
