# Two commands do all the set-up on a fresh machine (see README.md):
#   make lab    install everything, then open the course in JupyterLab
#   make test   install everything, then run the whole test suite
# Both create .venv/ on first use and reuse it afterwards. Neither installs system packages:
#   make system-deps   install Debian's chromium and bubblewrap with apt (the browser and sandbox tests)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The tests run in this many pytest-xdist processes (0 runs them in one): one more than the cores,
# because many tests spend part of their time waiting on a kernel, a server or a browser.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)
# nbgrader runs `alembic` by name, so the venv's scripts must come first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
ASSIGNMENTS := $(notdir $(wildcard source/[0-9]*))
PORT ?= 8888
# Jupyter refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install lab test test-quick system-deps lint release clean-outputs measure benchmark benchmark-guard benchmark-grading

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

# `make lab LANG=ko` opens the Korean edition (ko/); so does a Korean locale (LANG=ko_KR.UTF-8).
EDITION := $(if $(filter ko%,$(LANG)),ko/,)
lab: install
	LANG=$(if $(filter ko,$(LANG)),C.UTF-8,$(LANG)) \
	$(BIN)/jupyter lab --port=$(PORT) --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) \
		$(EDITION)release/01_parameters/01_parameters.ipynb

# Installs nothing but the venv: a missing chromium or bubblewrap skips the tests that need it,
# or fails here when COURSE_REQUIRE_BROWSER=1 / COURSE_REQUIRE_SANDBOX=1 (CI) asks for it.
test: install
	scripts/ensure_system_packages.sh --check
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# Quick (under 2 minutes): no kernel, no nbgrader, no sandbox, no browser (conftest.py enforces it).
test-quick: install
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_PARALLEL)

# The system packages the browser and sandbox tests need (Debian's chromium, bubblewrap), with apt.
system-deps:
	scripts/ensure_system_packages.sh --install

lint: install
	$(BIN)/ruff check .

# Regenerate the student notebooks after every change to source/ or to a translation (locale/):
# the English release/, then the Korean edition's ko/source/ and ko/release/.
release: install
	@for a in $(ASSIGNMENTS); do \
		$(BIN)/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; \
	done
	$(BIN)/course edition build ko
	@cd ko && for a in $(ASSIGNMENTS); do \
		../$(BIN)/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; \
	done

# Source notebooks are committed without outputs or widget state.
clean-outputs: install
	$(BIN)/jupyter nbconvert --clear-output --inplace \
		--ClearMetadataPreprocessor.enabled=True \
		--ClearMetadataPreprocessor.preserve_cell_metadata_mask='nbgrader' \
		--ClearMetadataPreprocessor.preserve_nb_metadata_mask='kernelspec' \
		--ClearMetadataPreprocessor.preserve_nb_metadata_mask='language_info' \
		source/*/*.ipynb

# Wall time and peak memory of every source notebook (the Binder budget).
measure: install
	$(BIN)/python scripts/measure_notebooks.py

# Explorer redraw times: median and p95 from a control change to a finished redraw.
benchmark: install
	$(BIN)/python scripts/benchmark_explorers.py

# The grader's guard: median and p95 of one restore in a grading kernel (budget: median under 50 ms).
benchmark-guard: install
	$(BIN)/python scripts/benchmark_guard.py

# `course grade` against plain nbgrader on one synthetic class: both times, their ratio, same scores.
# Runs nbgrader's alembic by name, hence the PATH.
benchmark-grading: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/benchmark_grading.py --students 12 \
		--assignments 01_parameters 02_conv_dims 03_stride_padding_dilation
