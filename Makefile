# rfclassify: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RFC := $(VENV)/bin/rfclassify
DEMO_DIR ?= demo
JOBS ?= 2

.PHONY: demo test model bench lint clean venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test,mqtt]'
	touch $@

venv: $(VENV)/.installed

## demo: set up, synthesize a short scene, show it and classify it with the shipped model
demo: venv
	$(PY) scripts/demo.py --out $(DEMO_DIR)

## test: set up with test extras and run the whole suite
test: venv
	$(PY) -m pytest -q

## model: re-train the shipped default model rfclassify/models/default.rfcm reproducibly (fixed seeds)
model: venv
	$(PY) scripts/make_model.py --jobs $(JOBS)

## bench: run the benchmark scripts and rewrite BENCHMARKS.md
bench: venv
	$(PY) scripts/bench.py

lint: venv
	$(VENV)/bin/ruff check rfclassify tests scripts

clean:
	rm -rf $(DEMO_DIR) .pytest_cache build *.egg-info
