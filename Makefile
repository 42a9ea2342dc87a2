# Set-up is part of every target: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# An interpreter >= 3.12: from PATH, else from pyenv's versions.
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	  c=$$(command -v $$p 2>/dev/null) && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; exit 0; }; \
	done; root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
	for c in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r); do echo $$c; exit 0; done)

.PHONY: setup run test browser bench validate answers docs notebooks clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found (PATH or pyenv)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,ema,viz]"     # ema: EMA Workbench, tested when installed; viz: the dashboard
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ptsim run scenarios/baseline.yaml

test: $(STAMP) browser
	$(PY) -m ruff check model tests benchmarks
	$(PY) -m pytest -q -n 2      # two workers: the suite takes about 4-7 min on 2 cores (6.7 min on a fresh clone, 2026-12-05)

bench: $(STAMP)
	$(VENV)/bin/ptsim bench

validate: $(STAMP)
	$(VENV)/bin/ptsim validate --workers 2     # writes docs/validation.md and docs/validation/*.png

# the full size: hours on 2 cores (docs/answers.md, "Time"), with the baseline's posterior
answers: $(STAMP)
	$(VENV)/bin/ptsim answers --workers 2 --posterior docs/calibration/baseline     # writes docs/answers.md and docs/answers/ (runs in results/answers-full-TIME)

docs: $(STAMP)
	$(PY) -m ptsim.scenario.docs > docs/scenarios.md

clean:
	rm -rf $(VENV) .pytest_cache results/*

notebooks: $(STAMP)
	$(PY) -m ipykernel install --user --name ptsim --display-name "ptsim (.venv)"
	@echo "Registered the Jupyter kernel 'ptsim (.venv)'. To open the notebooks:"
	@echo "  $(PY) -m pip install jupyterlab && $(VENV)/bin/jupyter lab notebooks/"
	@echo "  (or any Jupyter or VS Code, choosing the 'ptsim (.venv)' kernel)"
	@echo "Before committing an executed notebook: $(VENV)/bin/nbstripout --keep-id notebooks/*.ipynb"

# A headless Chromium for the dashboard's browser test: Debian's package, installed when we are root
# with apt-get; otherwise the test says why it skips its browser part.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
	  echo "note: no chromium (not root, no apt-get or no network): the dashboard's browser test will be skipped"
