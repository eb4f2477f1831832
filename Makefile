# The two set-up commands of the README, and the checks CI runs. Each target installs what it
# needs into .venv from pyproject.toml first, so both work on a fresh clone.
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= figures

.PHONY: verify test lint bench docs notebooks clean wheel-check

$(VENV)/.installed: pyproject.toml setup.py $(wildcard divergences/wasserstein/_native/*.cpp divergences/wasserstein/_native/*.h)
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

verify: $(VENV)/.installed
	$(VENV)/bin/divergences verify --out $(OUT)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n 2 --durations=15

# What a user gets: the wheel, installed into a clean venv, running the main job from an empty
# folder (no source tree on the path).
WHEELCHECK := build/wheelcheck
wheel-check: $(VENV)/.installed
	rm -rf $(WHEELCHECK)
	mkdir -p $(WHEELCHECK)/empty
	$(PY) -m build --wheel --outdir $(WHEELCHECK)/dist .
	python3 -m venv $(WHEELCHECK)/venv
	$(WHEELCHECK)/venv/bin/python -m pip install --quiet $(WHEELCHECK)/dist/*.whl
	cd $(WHEELCHECK)/empty && ../venv/bin/divergences verify --out figures

docs: $(VENV)/.installed
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_divergences.py
	$(PY) benchmarks/bench_w1.py

clean:
	rm -rf $(VENV) $(OUT) build .pytest_cache .hypothesis
