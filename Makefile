# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml shared/requirements.txt | cksum | cut -d' ' -f1)
PORT   ?= 3000
CHECKOV := $(VENV)/checkov/bin/checkov

.PHONY: install run test lint bench soak screenshots sam-env smoke build deploy deploy-check clean

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

soak: install
	@$(BIN)/python -m bench.soak

screenshots: install
	@$(BIN)/python -m hail_tools.screenshots

# env.json for `sam local invoke` / `sam local start-api` against the running `make run`.
sam-env: install
	@$(BIN)/hail sam-env

# A short read-only check of a running API: make smoke API=https://... TOKEN=... [ORG=...]
# (against `make run`, API=http://127.0.0.1:3000 and no TOKEN: it makes one).
smoke: install
	@API="$(API)" TOKEN="$(TOKEN)" ORG="$(ORG)" $(BIN)/python -m hail_tools.smoke

# `make deploy`: sam build, then sam deploy (--guided the first time: it asks for the stack
# name, region and parameters and keeps them in samconfig.toml). What they need is checked
# first: sam, and Python 3.13 for the layer, or Docker with CONTAINER=1 (sam build
# --use-container). `make build` stops after sam build.
SAM_BUILD = sam build $(if $(CONTAINER),--use-container)
PY313_CHECK = for python in python3.13 python3; do \
	$$python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && exit 0; \
	done; exit 1

deploy-check:
	@command -v sam >/dev/null 2>&1 || { echo "error: the AWS SAM CLI (sam) is not on PATH: install it (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html, or pip install aws-sam-cli)" >&2; exit 1; }
	@if [ -n "$(CONTAINER)" ]; then \
		docker info >/dev/null 2>&1 || { echo "error: CONTAINER=1 builds in Docker, and Docker is not running: start it, or install python3.13 and leave out CONTAINER" >&2; exit 1; }; \
	else \
		( $(PY313_CHECK) ) || { echo "error: sam build needs Python 3.13 (the functions' runtime) as python3.13 on PATH to build the layer: install it, or build in Docker with \`make deploy CONTAINER=1\`" >&2; exit 1; }; \
	fi

build: deploy-check
	$(SAM_BUILD)

deploy: build
	sam deploy $(if $(wildcard samconfig.toml),,--guided)

clean:
	rm -rf $(VENV) .local .aws-sam .pytest_cache .mypy_cache .ruff_cache env.json
