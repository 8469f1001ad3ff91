# grukit: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The constraints pin torch to the local CPU build (an unpinned torch pulls GB of CUDA packages).
INSTALL := $(PIP) install --disable-pip-version-check -q -c constraints.txt

.PHONY: demo test lint format bench test-slow clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q --upgrade pip

$(VENV)/.installed-base: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e .
	touch $@

# The benchmark harness (benchmarks/, package grukit_bench) is not part of the library; the dev
# environment has it too, so that its tests run in `make test`.
$(VENV)/.installed-dev: pyproject.toml benchmarks/pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e ".[dev,onnx]" -e ./benchmarks
	touch $@ $(VENV)/.installed-base $(VENV)/.installed-bench

$(VENV)/.installed-bench: pyproject.toml benchmarks/pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e . -e ./benchmarks
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(VENV)/bin/grukit demo

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -m "not slow"

test-slow: $(VENV)/.installed-dev
	$(VENV)/bin/pytest -m slow || [ $$? -eq 5 ]  # exit 5: no slow tests selected

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format src tests benchmarks examples
	$(VENV)/bin/ruff check --fix src tests benchmarks examples

bench: $(VENV)/.installed-bench
	$(VENV)/bin/grukit bench

clean:
	rm -rf $(VENV) build dist src/*.egg-info benchmarks/*.egg-info .pytest_cache .ruff_cache .hypothesis
