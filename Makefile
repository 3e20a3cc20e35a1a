# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml shared/requirements.txt | cksum | cut -d' ' -f1)
PORT   ?= 3000
CHECKOV := $(VENV)/checkov/bin/checkov

.PHONY: install run test lint bench screenshots sam-env clean

install: $(STAMP)

$(STAMP): pyproject.toml shared/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@echo "Installing into $(VENV) (first run only)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
	@$(BIN)/python -c 'import hail, hail_tools, fastapi, moto' 
	@rm -f $(VENV)/.installed-*
	@touch $@

# checkov in a venv of its own (see requirements-checkov.txt), made on first `make lint`.
$(CHECKOV): requirements-checkov.txt
	@test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	@echo "Installing checkov into $(VENV)/checkov (first run only)..."
	@$(VENV)/checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt 2>&1 | grep -v "is ignored: it is neither" || true
	@$(VENV)/checkov/bin/checkov --version >/dev/null
	@touch $@

run: install
	@PORT=$(PORT) $(BIN)/python -m hail_tools.serve

test: install
	@$(BIN)/python -m pytest

lint: install $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV) --config-file .checkov.yaml  # skipped rules and why: .checkov.yaml

bench: install
	@$(BIN)/python -m bench

screenshots: install
	@$(BIN)/python -m hail_tools.screenshots

# env.json for `sam local invoke` / `sam local start-api` against the running `make run`.
sam-env: install
	@$(BIN)/hail sam-env

clean:
	rm -rf $(VENV) .local .aws-sam .pytest_cache .mypy_cache .ruff_cache env.json
