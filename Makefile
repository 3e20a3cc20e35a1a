# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml shared/requirements.txt | cksum | cut -d' ' -f1)
PORT   ?= 3000

.PHONY: install run test lint bench soak screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml shared/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@echo "Installing into $(VENV) (first run only)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
	@$(BIN)/python -c 'import hail, hail_tools, fastapi, moto' 
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install
	@PORT=$(PORT) $(BIN)/python -m hail_tools.serve

test: install
	@$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

bench: install
	@$(BIN)/python -m bench

soak: install
	@$(BIN)/python -m bench.soak

screenshots: install
	@$(BIN)/python -m hail_tools.screenshots

clean:
	rm -rf $(VENV) .local .aws-sam .pytest_cache .mypy_cache .ruff_cache
