# The two set-up commands of the README, and the checks CI runs. Each target installs what it
# needs into .venv from pyproject.toml first, so both work on a fresh clone.
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= figures

.PHONY: verify test lint bench docs notebooks clean wheel-check check-no-native

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
	$(WHEELCHECK)/venv/bin/python -m pip install --quiet "$$(ls $(WHEELCHECK)/dist/*.whl)[lab]"
	cd $(WHEELCHECK)/empty && ../venv/bin/divergences verify --out figures

# An install without the compiled extension, as on a machine with no C++17 compiler: a copy of
# the source tree (tracked and new files, no build outputs) installed with
# DIVERGENCES_BUILD_NATIVE=0 runs the main job and the W1 tests that do not need the extension.
NONATIVE := build/no-native
check-no-native:
	rm -rf $(NONATIVE)
	mkdir -p $(NONATIVE)/src $(NONATIVE)/empty
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(NONATIVE)/src
	python3 -m venv $(NONATIVE)/venv
	$(NONATIVE)/venv/bin/python -m pip install --quiet --upgrade pip
	cd $(NONATIVE)/src && DIVERGENCES_BUILD_NATIVE=0 ../venv/bin/python -m pip install --quiet ".[lab]" pytest pytest-xdist
	cd $(NONATIVE)/empty && ../venv/bin/python -c "from divergences.wasserstein._host import native; assert not native.available(), 'the extension was built'"
	cd $(NONATIVE)/empty && ../venv/bin/divergences verify --out figures
	cd $(NONATIVE)/src && ../venv/bin/python -m pytest -n 2 -q -p no:cacheprovider tests/wasserstein -m "not native"

docs: $(VENV)/.installed
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_divergences.py
	$(PY) benchmarks/bench_w1.py

clean:
	rm -rf $(VENV) $(OUT) build .pytest_cache .hypothesis
