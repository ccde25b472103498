# Two commands on a fresh machine: `make bench` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# tesseract for the ocr workload; DejaVu fonts render its pages
OCR_APT  := tesseract-ocr tesseract-ocr-eng fonts-dejavu-core
# headless Chromium lets the tests look at the HTML report as a person would
TEST_APT := chromium
PROFILE ?= quick
# the run's time budget (bench run --budget): empty = the profile's (160s for quick: make bench ends within 3 minutes)
BUDGET  ?=
BASE    ?= results/baselines/quick.json


.PHONY: setup system-deps test-deps bench test test-fast lint types compare report clean extras

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Installs Debian packages only when missing and only as root or with
# passwordless sudo; anything else is reported and the run goes on without it
# (OCR cases are then skipped with the reason in `bench list` and the results).
define apt_install
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "setup: cannot install$$missing (not root, no passwordless sudo): $(2)"; exit 0; fi; \
	echo "setup: installing$$missing"; \
	( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null ) \
	  || echo "setup: apt-get could not install$$missing: $(2)"
endef

system-deps:
	$(call apt_install,$(OCR_APT),OCR cases will be skipped)

test-deps:
	$(call apt_install,$(TEST_APT),the browser test of the report will be skipped)

bench: setup
	$(PY) -m bench run --profile $(PROFILE) $(if $(BUDGET),--budget $(BUDGET)) --force -o results/latest.json
	$(PY) -m bench report results/latest.json --force -o reports/latest.html
	@echo "report: reports/latest.html"

# lint and types run first: a clone that does not pass them fails before the slow tests
test: setup test-deps lint types
	$(PY) -m pytest -q

# the pure unit tests alone (about a minute): statistics, tables, verdicts, report model, layout
test-fast: setup
	$(PY) -m pytest -q -m unit

lint: $(STAMP)
	$(PY) -m ruff check bench tests workloads examples

# strict on the pure modules, ordinary checking elsewhere (see [tool.mypy] in pyproject.toml)
types: $(STAMP)
	$(PY) -m mypy bench

# make compare BASE=results/baselines/quick.json [COMPARE_ARGS="--metric speedup --format md"]
# exit 1 on a significant regression (see docs/ci-example.yml); no budget by default: a gate compares every case
# of BASE, and a budget would cut some of them
compare: setup
	@test -f $(BASE) || { echo "compare: no baseline $(BASE) (make compare BASE=path/to/base.json)"; exit 2; }
	$(PY) -m bench run --profile $(PROFILE) --budget $(or $(BUDGET),none) --force -o results/new.json
	$(PY) -m bench compare $(BASE) results/new.json $(COMPARE_ARGS)

# Optional engines (strategies loky, mpire, ray, mpi): about 270 MB, mostly ray; mpi4py and the mpich
# wheel (MPI and its mpiexec, no system MPI needed) come from PyPI.
extras: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[extras]'

# One environment per extra interpreter for `bench run --python 3.12`:
# `make venv-3.12` finds python3.12 (pyenv's versions, then PATH) and makes
# .venvs/3.12.x with this project installed; run it again to refresh.
venv-%: $(STAMP)
	$(PY) -m bench.execute.pythons setup $*

clean:
	rm -rf $(VENV) .venvs reports/*.html .pytest_cache .mypy_cache .ruff_cache
