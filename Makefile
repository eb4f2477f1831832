# The two set-up commands of the README, and the checks CI runs. Each target installs what it
# needs into .venv from pyproject.toml first, so both work on a fresh clone: the library, the lab,
# the test tools and the linters (.installed-test: make verify, lint, test, check, stress), and
# for the others the rest of the development install on top (.installed: the docs' stack and the
# build tools, named by the extras docs and dev). pip byte-compiles what it installs one file at
# a time; compileall does the same on every core, leaving out the installed packages' own test
# folders (benchmarks/history-to-2026-11-25.md, "The test session"), and compiles the package's
# own modules too: an editable install leaves them to each process that imports them, which
# compiles them again wherever PYTHONDONTWRITEBYTECODE is set (every test worker and subprocess).
# pip is upgraded first: Python 3.11's own pip 23.2 took 28 s for the install that pip 26 does
# in 18 (a fresh clone, 2026-11-27). The venv is made without pip, which the interpreter's own
# pip then installs into it (`--python`, pip 22.3 on): 1.7 s against 3.7 for ensurepip's copy
# upgraded (2026-11-29); where that pip is missing or older, ensurepip's copy is upgraded.
# The dependencies (.ci/requirements.py reads them from pyproject.toml) install beside the
# project's own build, which compiles its C++ extension on one core while pip mostly writes files
# (the build system's setuptools installed once, into .venv).
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= figures
COMPILE = $(PY) -m compileall -q -j 0 -x '/tests?/$(1)' \
	"$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" divergences
# The test install leaves out the packages and folders that neither the quick tier nor `make
# verify` imports (listed from their processes' sys.modules, 2026-11-29): pip, the build tools,
# mypy's sources beside its compiled modules, IPython's console, pygments' lexers, Dask's (its
# tests are slow), the parts of JAX, SymPy, SciPy and scikit-learn no test touches. A module of
# these that a slow test imports is compiled in that process's memory. 18 of the 91 MB that were
# compiled: about 1 s of 5.7. The development install compiles them (the notebooks' kernels).
SKIP_TOOLS = pip|setuptools|mypy|mypyc|IPython|prompt_toolkit|jedi|parso|rich|fontTools|wcwidth
SKIP_PACKAGES = dask|distributed|tornado|fsspec|jinja2|click|traitlets|ipywidgets|markdown_it|yaml|pexpect|toolz|zict
SKIP_JAX = jax/_src/(internal_test_util|pallas)|jax/experimental/(mosaic|pallas)|jaxlib/triton
SKIP_PARTS = sympy/(physics|stats|vector|parsing)|scipy/signal|numpy/distutils|sklearn/ensemble|pygments/lexers
COMPILE_SKIP = $(SKIP_TOOLS)|$(SKIP_PACKAGES)|$(SKIP_JAX)|$(SKIP_PARTS)
REQUIREMENTS = $(PY) .ci/requirements.py

.PHONY: help verify test test-slow test-long test-subnormals lint check notebooks docs build-check stress bench clean \
	wheel-check check-no-native clang-test sanitize device-check test-pythons

$(VENV)/.installed-test: pyproject.toml setup.py $(wildcard divergences/wasserstein/_native/*.cpp divergences/wasserstein/_native/*.h)
	python3 -m venv --without-pip $(VENV)
	python3 -m pip --python $(PY) install --quiet --upgrade pip $$($(REQUIREMENTS) --build) \
		2>/dev/null || { $(PY) -m ensurepip --default-pip && \
		$(PY) -m pip install --quiet --upgrade pip $$($(REQUIREMENTS) --build); }
	$(REQUIREMENTS) test lint > $(VENV)/requirements-test.txt
	$(PY) -m pip install --quiet --no-compile -r $(VENV)/requirements-test.txt & deps=$$!; \
	$(PY) -m pip install --quiet --no-compile --no-deps --no-build-isolation -e . || \
		{ wait $$deps; exit 1; }; \
	wait $$deps
	$(call COMPILE,|/site-packages/($(COMPILE_SKIP))/)
	touch $@

# The extras docs and dev on top (the project itself is installed: its build is not run again).
$(VENV)/.installed: $(VENV)/.installed-test
	$(REQUIREMENTS) docs dev | xargs -d '\n' $(PY) -m pip install --quiet --no-compile
	$(call COMPILE,)
	touch $@

verify: $(VENV)/.installed-test ## check every derivation of the lectures, write the figures (OUT=figures)
	$(VENV)/bin/divergences verify --out $(OUT)

# mypy checks in two processes (quicker from a fresh clone's empty cache: benchmarks/history-to-2026-11-25.md).
LINT_QUICK = $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports
TYPES = $(VENV)/bin/mypy -n 2
lint: $(VENV)/.installed-test ## ruff, ruff format --check, the import contracts and mypy
	$(LINT_QUICK)
	$(TYPES)

# The README's test command: lint, then every test and doctest not marked slow (69 to 79 s
# on a fresh clone of an idle 2-core machine, install included: benchmarks/README.md, "The test
# session). mypy, 8 s from an empty cache, checks the types beside the tests rather than before
# them: the workers leave about a tenth of the two cores idle (collection, the last tests), and
# its output is printed when the tests end; either failing fails the target.
# The quick tier's tests are many and short: each worker starts with half of them in file order
# and steals from the other's queue at the end (--dist worksteal), so that a file's tests mostly
# run in one worker, which compiles their programs once: 5 to 7 test-seconds fewer than tests
# handed out four at a time (benchmarks/README.md, "The test session").
# test-slow runs the rest but the long tests and the proofs' steps (marked proof), which CI's
# wheel-check runs in `divergences verify`; CI runs both (.ci/run), test-long runs before a merge.
# A quick test whose setup, call or teardown passes 5 s (five times the tier's second, room for a
# machine 2.5 times slower) fails the session (--quick-limit, conftest.py): it is made cheaper or
# marked slow with its reason.
# Its programs are small and compiling them is most of its time: it compiles them at XLA's
# lowest backend optimisation level (appended to the caller's XLA_FLAGS), 52 s against 57 s of
# pytest on a fresh clone; the slow tier, the wheel's check and the docs run XLA's default.
QUICK = -n 2 --dist worksteal -m "not slow" --quick-limit 5
test: $(VENV)/.installed-test ## lint, then the suite but the tests marked slow (the doctests too): CI's first step
	$(LINT_QUICK)
	mkdir -p build
	$(TYPES) > build/types.log 2>&1 & types=$$!; \
	XLA_FLAGS="$$XLA_FLAGS --xla_backend_optimization_level=0" $(PY) -m pytest $(QUICK) --durations=15; \
	tests=$$?; wait $$types; typed=$$?; cat build/types.log; [ $$tests -eq 0 ] && [ $$typed -eq 0 ]

# The float-range tests with subnormal numbers kept, as a GPU keeps them (docs/conventions.md,
# "Subnormal numbers"): every float operation evaluated in NumPy, so minutes, not seconds.
SUBNORMAL_TESTS = tests/test_gan.py tests/test_information.py tests/test_numerics.py \
	tests/test_terms.py tests/test_float16.py tests/test_kl.py tests/test_js.py \
	tests/test_total_variation.py tests/test_hellinger.py tests/test_chi_square.py \
	tests/test_f_divergence.py tests/test_histogram.py tests/test_subnormal_masses.py \
	tests/testing/test_float_range.py \
	tests/wasserstein/test_float_range.py tests/wasserstein/test_one_d.py \
	tests/wasserstein/test_checks.py tests/wasserstein/test_scale.py tests/wasserstein/test_metrics.py

test-subnormals: $(VENV)/.installed-test ## the float-range tests under gradual underflow (--subnormals=keep)
	$(PY) -m pytest -n 2 -m "not slow" --subnormals=keep $(SUBNORMAL_TESTS)

# The slow tier is split by measured time (tests/long_tests.txt, written by .ci/long_tests.py): CI
# runs the slow tests under 3 s each (1,114); make test-long runs the 576 others, before a merge
# (benchmarks/README.md, "The test session": the minutes each takes).
test-slow: $(VENV)/.installed-test ## the tests marked slow but not long (Sinkhorn programs, training, sweeps): CI's second step
	$(PY) -m pytest -n 2 -m "slow and not long and not proof" --durations=15 $(PYTEST_ARGS)

test-long: $(VENV)/.installed-test ## the slow tests of tests/long_tests.txt, which CI leaves out (about 50 minutes)
	$(PY) -m pytest -n 2 -m "long and not proof" --durations=15 $(PYTEST_ARGS)

# Each teaching notebook run top to bottom in a fresh kernel, headless, its outputs kept nowhere
# (make docs executes them into the site, and keeps them in its cache).
notebooks: $(VENV)/.installed ## run every teaching notebook headlessly (jupyter execute)
	MPLBACKEND=Agg DIVERGENCES_LIVE_VIEW=0 $(VENV)/bin/jupyter execute notebooks/*.ipynb

# The build and the packaging, checked by scripts of .ci/ (not by the test suite): the Makefile's
# targets and help, the wheel's package list, the dependencies and the import contracts' lists,
# the wheel matrix, the sdist and its installs with and without the extension.
build-check: $(VENV)/.installed ## the build and packaging checks (.ci/check_*.py)
	$(PY) .ci/check_makefile.py
	$(PY) .ci/check_packaging.py
	$(PY) .ci/check_build.py

# What a user gets: the wheel, installed into a clean venv, running the main job from an empty
# folder (no source tree on the path). It runs every proof's step, warnings as errors as in the
# test session (make test-slow leaves them out), with a record of each step's verdict, which make
# docs shows in its proof catalogue where VERIFY_RECORD names it (CI does: the steps run once).
WHEELCHECK := build/wheelcheck
wheel-check: $(VENV)/.installed ## build the wheel, install it in a clean venv, run verify from an empty folder
	rm -rf $(WHEELCHECK)
	mkdir -p $(WHEELCHECK)/empty
	$(PY) -m build --wheel --outdir $(WHEELCHECK)/dist .
	python3 -m venv $(WHEELCHECK)/venv
	$(WHEELCHECK)/venv/bin/python -m pip install --quiet "$$(ls $(WHEELCHECK)/dist/*.whl)[lab]"
	cd $(WHEELCHECK)/empty && PYTHONWARNINGS=error ../venv/bin/divergences verify --out figures \
		--record $(CURDIR)/$(WHEELCHECK)/verify-record.json

# An install without the compiled extension, as on a machine with no C++17 compiler: a copy of
# the source tree (tracked and new files, no build outputs) installed with
# DIVERGENCES_BUILD_NATIVE=0 loads every proof, runs the main job on two proofs that solve W1
# problems by every method, with the tour, draws the two W1 figures (the extension changes
# nothing else: wheel-check runs every step and draws every figure; the other W1 proofs' problems
# are small enough that "auto" never calls the extension), and runs the W1 tests that do not need
# the extension (those marked slow left to make test-slow: Sinkhorn's programs do not use it).
NONATIVE := build/no-native
NONATIVE_PROOFS := earth_movers kantorovich_rubinstein
check-no-native: ## an install without the compiled extension: verify's W1 proofs and its W1 tests
	rm -rf $(NONATIVE)
	mkdir -p $(NONATIVE)/src $(NONATIVE)/empty
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(NONATIVE)/src
	python3 -m venv $(NONATIVE)/venv
	$(NONATIVE)/venv/bin/python -m pip install --quiet --upgrade pip
	cd $(NONATIVE)/src && DIVERGENCES_BUILD_NATIVE=0 ../venv/bin/python -m pip install --quiet ".[lab]" pytest pytest-xdist python-flint
	cd $(NONATIVE)/empty && ../venv/bin/python -c "from divergences.wasserstein._src.host import native; assert not native.available(), 'the extension was built'"
	cd $(NONATIVE)/empty && ../venv/bin/python -c "from divergences.lab.verify.proof_files import load_proofs; load_proofs()"
	cd $(NONATIVE)/empty && ../venv/bin/divergences verify --only $(NONATIVE_PROOFS) --no-figures
	cd $(NONATIVE)/empty && for name in transport_plan kr_potential; do \
		../venv/bin/divergences plot $$name --out $(CURDIR)/$(NONATIVE)/figures || exit 1; done
	cd $(NONATIVE)/src && ../venv/bin/python -m pytest -n 2 -q -p no:cacheprovider tests/wasserstein -m "not native and not slow"

# The other Pythons the package promises (the venv above is 3.11): for each of 3.12 and 3.13, the
# sdist installed into a fresh venv of that Python with the test extra (the extension built from
# the sdist), then the quick tests of the extension, the W1 entry points and the core divergences
# from a copy of tests/ outside the source tree (.ci/pythons; PYTHONS="3.12" for one).
test-pythons: $(VENV)/.installed ## the sdist installed on Python 3.12 and 3.13, with a part of the quick tier
	VENV=$(VENV) .ci/pythons

# The compiled solver under another compiler and under sanitizers. Each copies the sources into
# its own folder under build/, builds the extension in place there, and runs the sparse solver's
# tests from that copy with the project's venv (the copy's package comes first on the path), in
# two workers, with the JAX programs that make test and test-slow compiled (build/jax-cache: the
# extension is called from them, not compiled into them).
NATIVE_TESTS := tests/wasserstein/test_sparse.py tests/wasserstein/test_native.py tests/wasserstein/test_stops.py \
	tests/wasserstein/test_degenerate.py tests/wasserstein/test_fuzz.py tests/wasserstein/test_grid.py \
	tests/wasserstein/test_cost_scaling.py
NATIVE_PYTEST := JAX_COMPILATION_CACHE_DIR=$(CURDIR)/build/jax-cache $(abspath $(PY)) -m pytest -n 2 \
	-q -p no:cacheprovider $(NATIVE_TESTS)
define native_copy
	rm -rf $(1)
	mkdir -p $(1)
	tar -c --exclude='*.so' --exclude='*.pyd' --exclude=__pycache__ \
		divergences tests conftest.py pyproject.toml setup.py README.md | tar -x -C $(1)
endef

# Clang (Debian's clang package; .ci/run installs it where it is missing). Its tests are those that
# drive the C++: the ones that run the solver under jit, vmap or grad are left out (the host call
# hands the C++ the same arrays as the eager call, which the same tests make in their eager cases
# or their neighbours; their time is JAX's compiling; the sanitizers keep them, for the buffers).
CLANG_DIR := build/clang-test
CLANG_SELECT := -k "not under_jit and not jit_and_vmap and not gradients_equal and not vmap"
clang-test: $(VENV)/.installed ## the compiled W1 solver built by Clang, with its tests
	$(call native_copy,$(CLANG_DIR))
	cd $(CLANG_DIR) && CC=clang CXX=clang++ $(abspath $(PY)) setup.py -q build_ext --inplace
	readelf -p .comment $(CLANG_DIR)/divergences/wasserstein/_ot_native.*so | grep -q clang
	cd $(CLANG_DIR) && $(NATIVE_PYTEST) $(CLANG_SELECT)

# AddressSanitizer and UndefinedBehaviorSanitizer (GCC; any report fails the run). The
# interpreter is not instrumented: libasan is preloaded, with libstdc++ (ASan's C++ exception
# interceptors need it loaded first: jaxlib throws), and leaks (CPython's own, at exit) are not
# checked. The tests that cap the address space are left out (ASan reserves terabytes).
SANITIZE_DIR := build/sanitize
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
sanitize: $(VENV)/.installed ## the compiled W1 solver under ASan and UBSan, with its tests
	$(call native_copy,$(SANITIZE_DIR))
	cd $(SANITIZE_DIR) && CC=gcc CXX=g++ DIVERGENCES_NATIVE_CFLAGS="$(SANITIZE_FLAGS)" \
		DIVERGENCES_NATIVE_LDFLAGS="-fsanitize=address,undefined" \
		$(abspath $(PY)) setup.py -q build_ext --inplace
	cd $(SANITIZE_DIR) && JAX_PLATFORMS=cpu \
		LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libstdc++.so)" \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(NATIVE_PYTEST) -k "not address_space"

# The site, warnings as errors, with its checks (docs/_ext/sitecheck.py). The notebooks are
# executed here (an error in a cell fails the build), those whose code has not changed since the
# last build taken from the jupyter-cache in build/ (docs/conf.py). The proof catalogue runs every
# step, or shows the verdicts of the record VERIFY_RECORD names where it holds these sources
# (`divergences verify --record`; make wheel-check writes one).
VERIFY_RECORD ?= $(DIVERGENCES_VERIFY_RECORD)
docs: $(VENV)/.installed ## build the site into docs/_build/html (warnings are errors) and check it
	DIVERGENCES_VERIFY_RECORD='$(VERIFY_RECORD)' $(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.installed ## the benchmarks of benchmarks/: time ratios against SciPy, POT, OTT-JAX, scikit-learn, LEMON, OR-Tools
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_divergences.py
	$(PY) benchmarks/bench_w1.py
	$(PY) benchmarks/bench_sinkhorn.py
	$(PY) benchmarks/bench_dotmark.py
	$(PY) benchmarks/bench_engines.py --quick
	$(PY) benchmarks/bench_estimate.py

# The package on the accelerator JAX sees (benchmarks/device_check.py): the quick tier there and the
# entries that matter on a device, each beside the device's own limit measured in the same process,
# one JSON in build/device-check; about six minutes on one GPU. It installs nothing (a machine with
# an accelerator may have no network): on one without .venv, DEVICE_PY=python3 with the package on
# PYTHONPATH (benchmarks/README.md, "On a GPU", has the recipe).
DEVICE_PY ?= $(if $(wildcard $(PY)),$(PY),python3)
device-check: ## the quick tier and the device benchmark on the accelerator JAX sees (build/device-check)
	$(DEVICE_PY) benchmarks/device_check.py --out build/device-check $(DEVICE_CHECK_ARGS)

clean: ## remove .venv, the figures, build/ (compile and notebook caches) and docs/_build
	rm -rf $(VENV) $(OUT) build docs/_build .pytest_cache .hypothesis

# The edit loop's tier: the tests under tests/ but those marked slow, with 10 examples per property
# (the `check` profile); the docstrings' examples are left to CI, which runs everything (`make test`).
check: $(VENV)/.installed-test ## the edit loop: the tests not marked slow, 10 examples per property
	HYPOTHESIS_PROFILE=check $(PY) -m pytest tests $(QUICK) -q --durations=10

# The random and training parts of the suite as another machine of this kind runs them: busy
# processes beside them, XLA on one thread and on two, its instruction set capped (.ci/stress).
stress: $(VENV)/.installed-test ## the random and training tests beside busy processes, XLA capped (.ci/stress)
	VENV=$(VENV) .ci/stress

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' \
		| awk -F'\t' '{ printf "  %-16s %s\n", $$1, $$2 }'
