# `make demo` and `make test` do all set-up on a fresh machine (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INDEX ?= .precedent
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
QUESTION ?= which councils commissioned parent-infant services and how were they funded

.PHONY: install browser demo serve test lint format bench bench-quick eval-extraction eval-beir clean

install: $(VENV)/.installed

# torch first, pinned: this machine carries its CPU build; an unpinned torch would pull CUDA.
# The constraints file keeps every later resolve on that torch. The openvino extra drags in
# torchvision, which fails to import against torch 2.13 (and breaks transformers): drop it.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	echo 'torch==2.13.0' > $(VENV)/constraints.txt
	$(PY) -m pip install --quiet -c $(VENV)/constraints.txt -e '.[test,openvino]'
	$(PY) -m pip uninstall --quiet -y torchvision
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

# Benchmarks: figures print as tables and land in bench/results/*.json (see README, "Measured").
# Those that need ../shared/ say so and skip when it is missing.
BENCHES := indexing query_latency query_startup ann_threshold vector_growth batch_throughput http_load embedding_backends

eval-extraction: install
	$(PY) bench/eval_extraction.py

eval-beir: install
	$(PY) bench/beir_eval.py

bench-quick: install
	$(PY) bench/eval_extraction.py
	$(PY) bench/beir_eval.py
	for b in $(BENCHES); do $(PY) bench/$$b.py --quick --json || exit 1; done

bench: install
	$(PY) bench/eval_extraction.py
	$(PY) bench/beir_eval.py
	for b in $(BENCHES); do $(PY) bench/$$b.py --json || exit 1; done

clean:
	rm -rf $(INDEX) .pytest_cache .ruff_cache
