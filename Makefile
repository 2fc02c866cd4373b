# The README's two commands are `make book` and `make test`; the others are for authors.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SANITIZE := tests/nbval_sanitize.cfg
NOTEBOOKS := $(sort $(wildcard book/[0-9][0-9]_*.ipynb))
LINTED := cecode tests benchmarks scripts book
# Written after a build with no warnings; tests/book/test_site.py rebuilds when sources are newer.
SITE_STAMP := _build/html/.built-without-warnings
JB_BUILD := $(BIN)/jupyter-book build . -W -n --keep-going

.PHONY: help setup book site pdf test test-fast test-python test-notebooks test-other-torch lint format execute bench lab clean

help:
	@echo "make book     build the website into _build/html (creates .venv if missing)"
	@echo "make site     a full build with no warnings (what make test checks)"
	@echo "make pdf      the whole book as one PDF (_build/pdf, linked from the site)"
	@echo "make test     everything CI checks: lint, unit tests, notebooks (nbval), site, browser"
	@echo "make test-fast  the unit lane only (tests/unit, one torch thread): under a minute"
	@echo "make test-other-torch  chapters (lax) and unit tests under the newest and oldest PyTorch claimed"
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
	$(JB_BUILD)
	touch $(SITE_STAMP)
	@echo "The book is in $(CURDIR)/_build/html/index.html"

# The whole book as one PDF: the single-page build printed by Debian's Chromium (scripts/build_pdf.py);
# copied into _build/html (build the site first), checked by tests/book/test_pdf.py.
pdf: setup
	$(BIN)/python scripts/build_pdf.py

# What `make test` builds: every page re-read (--all), so no warning hides behind Sphinx's cache.
site: setup
	$(JB_BUILD) --all
	touch $(SITE_STAMP)

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: setup
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# The fast lane: tests/unit (its conftest pins torch to one thread). The book lane, tests/book,
# (nbval, site, browser, Colab, multi-process) runs with everything else in test-python.
test-fast: setup
	$(BIN)/python -m pytest tests/unit -q

test-python: setup
	$(BIN)/python -m pytest tests -q

test-notebooks: setup
	$(BIN)/python -m pytest --nbval book --nbval-sanitize-with $(SANITIZE) --nbval-current-env --nbval-cell-timeout=120 -q

# Every chapter in lax mode (asserts, not stored outputs) and the unit tests under the newest
# PyTorch pip offers and the lowest one pyproject.toml claims, torch:torchvision pairs, each in a
# cached venv .venv-torch-X.Y.Z (scripts/test_other_torch.sh; ~6 GB and 1-2 min to create each).
OTHER_TORCH ?= 2.15.0:0.29.2 2.8.0:0.23.0
test-other-torch:
	@for pair in $(OTHER_TORCH); do \
		PYTHON=$(PYTHON) bash scripts/test_other_torch.sh $${pair%%:*} $${pair##*:} || exit 1; \
	done

# tests/ includes the site in a browser (tests/book/test_site.py, on the site `make site` built) and a
# chapter run the way Colab runs it (tests/book/test_colab.py).
test: lint site pdf test-python test-notebooks test-other-torch

execute: setup
	$(BIN)/python scripts/execute_notebooks.py $(or $(NB),$(NOTEBOOKS))

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The notebooks' kernel "python3" is this venv's Python: installed into the venv, which Jupyter
# searches before the user's own kernels (JUPYTER_PREFER_ENV_PATH).
lab: setup
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab book $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf _build
