# `make demo` and `make test` do all set-up on a fresh machine (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INDEX ?= .precedent
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
QUESTION ?= which councils commissioned parent-infant services and how were they funded

.PHONY: install browser demo serve test lint format bench clean

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
	$(BIN)/precedent evidence "$(QUESTION)" --index $(INDEX)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

serve: install
	$(BIN)/precedent serve --index $(INDEX)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint browser
	$(PY) -m pytest -q

clean:
	rm -rf $(INDEX) .pytest_cache .ruff_cache
