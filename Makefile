# Two commands do all the set-up on a fresh machine (see README.md):
#   make lab    install everything, then open the course in JupyterLab
#   make test   install everything, then run the whole test suite
# Both create .venv/ on first use and reuse it afterwards.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# nbgrader runs `alembic` by name, so the venv's scripts must come first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
ASSIGNMENTS := $(notdir $(wildcard source/[0-9]*))
PORT ?= 8888
# Jupyter refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install lab test test-quick lint release clean-outputs measure benchmark benchmark-grading

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

lab: install
	$(BIN)/jupyter lab --port=$(PORT) --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) \
		release/01_parameters/01_parameters.ipynb

test: install
	scripts/ensure_system_packages.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Quick: no notebook runs, no nbgrader end to end, no browser.
test-quick: install
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .

# Regenerate the student notebooks after every change to source/.
release: install
	@for a in $(ASSIGNMENTS); do \
		$(BIN)/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; \
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

# `course grade` against plain nbgrader on one synthetic class: both times, their ratio, same scores.
# Runs nbgrader's alembic by name, hence the PATH.
benchmark-grading: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/benchmark_grading.py --students 12 \
		--assignments 01_parameters 02_conv_dims 03_stride_padding_dilation
