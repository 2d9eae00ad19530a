# `make demo` and `make test` do all set-up on a fresh machine (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INDEX ?= .precedent
QUESTION ?= which councils commissioned parent-infant services and how were they funded

.PHONY: install demo test lint format bench clean

install: $(VENV)/.installed

# torch first, pinned: this machine carries its CPU build; an unpinned torch would pull CUDA.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/precedent index corpus --index $(INDEX)
	$(BIN)/precedent search "$(QUESTION)" --index $(INDEX) -k 5

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(PY) -m pytest -q

clean:
	rm -rf $(INDEX) .pytest_cache .ruff_cache
