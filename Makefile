# Two commands set up everything: `make demo` and `make test` (both install first).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
NPX := npx --no-install
STAGE ?= dev
PORT ?= 8080
DATA ?=
BUILD := build

# Node 20 makes jsii print an end-of-life banner on every import; it is noise here.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Local Spark: loopback only, no UI.
export SPARK_LOCAL_IP := 127.0.0.1
export PYSPARK_PYTHON := $(abspath $(PY))

.PHONY: help install system-deps synth test lint format demo etl train model serve bench cost clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# --- installation: idempotent, re-runs only when the pinned files change -------------
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==25.3
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Java runs local Spark; Chromium runs the browser test. Debian packages, only if absent.
system-deps: ## Install Java 17 and Chromium from Debian if missing (needs root)
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

install: $(VENV)/.installed node_modules/.installed system-deps ## Create .venv and node_modules from the pinned files

# --- infrastructure -----------------------------------------------------------------
synth: install ## Synthesise every stack of STAGE (dev|prod) with cdk-nag
	$(NPX) cdk synth --quiet -c stage=$(STAGE) -o cdk.out/$(STAGE)

lint: install ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff formatting and safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint ## Lint, synthesise both stages (nag + cfn-lint) and run every test
	$(PY) -m pytest

# --- the local twins ----------------------------------------------------------------
demo: install ## Synthesise the dev stage and run the whole pipeline locally
	$(NPX) cdk synth --quiet -c stage=dev -o cdk.out/dev
	$(PY) scripts/synth_summary.py cdk.out/dev

clean: ## Remove build output, synth output and caches (keeps .venv and node_modules)
	rm -rf $(BUILD) cdk.out .pytest_cache .ruff_cache .hypothesis spark-warehouse metastore_db derby.log
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './node_modules/*' -exec rm -rf {} +
