# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEED ?= 2012
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Dagster keeps its instance (run history, logs) in .dagster/ under this folder.
export DAGSTER_HOME := $(CURDIR)
export PARTNER_IMPACT_DAGSTER_STORAGE := $(CURDIR)/.dagster/storage
export PARTNER_IMPACT_DAGSTER_ARTIFACTS := $(CURDIR)/.dagster/artifacts
export PARTNER_IMPACT_DAGSTER_COMPUTE_LOGS := $(CURDIR)/.dagster/logs

.PHONY: demo test dev notebooks lint format clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps re-run pip only when pyproject.toml or the pinned versions change.
$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.runtime

# Re-resolve pyproject.toml's ranges in a scratch environment and pin the result; run make test
# before committing the new constraints.txt.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '1,3p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

demo: $(VENV)/.runtime
	@if [ -z "$$(ls -A data/raw | grep -v '^.gitkeep$$')" ]; then \
		$(BIN)/partner-impact sample --out data/raw --scale demo --seed $(SEED); \
	else \
		echo "data/raw/ already has files: using them"; \
	fi
	$(BIN)/partner-impact run

# The analysts' notebooks, run top to bottom on the published marts and estimates (make demo
# first). To work in them interactively, open them in JupyterLab or an editor and choose this
# .venv's Python as the kernel.
$(VENV)/.notebooks: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[notebooks]'
	touch $@ $(VENV)/.runtime

notebooks: $(VENV)/.notebooks
	$(BIN)/jupyter execute notebooks/*.ipynb

# The report's browser test drives Debian's Chromium (no browser download is possible here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

test: $(VENV)/.dev $(CHROMIUM)
	$(BIN)/python -m pytest

# The UI and daemon through the dg command line, on the loopback interface only (no login). dg
# compares the active environment with the project's .venv, so it runs as if activated.
dev: $(VENV)/.runtime
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dg dev --host 127.0.0.1 --port 3000

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .dagster .pytest_cache .ruff_cache
