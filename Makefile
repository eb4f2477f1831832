# The two set-up commands of the README, and the checks CI runs. Each target installs what it
# needs into .venv from pyproject.toml first, so both work on a fresh clone.
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= figures

.PHONY: verify test lint bench docs notebooks clean wheel-check

$(VENV)/.installed: pyproject.toml setup.py divergences/wasserstein/_native/ot_native.cpp
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

# The edit loop's tier: the tests under tests/ but those marked slow, with 10 examples per property
# (the `check` profile); the docstrings' examples are left to CI, which runs everything (`make test`).
.PHONY: check stress
check: $(VENV)/.installed
	HYPOTHESIS_PROFILE=check $(PY) -m pytest tests -n 2 -m "not slow" -q --durations=10

# The random and training parts of the suite as another machine of this kind runs them: busy
# processes beside them, XLA on one thread and on two, its instruction set capped (.ci/stress).
stress: $(VENV)/.installed
	VENV=$(VENV) .ci/stress
