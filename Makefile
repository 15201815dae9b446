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

.PHONY: help install install-cdk system-deps synth test test-fast lint format images demo etl train model serve batch drift ab-report experiments bench cost clean

# The sample ships in both raw layouts; the demo cleans the CSV one.
ETL_INPUT ?= data/sample/reviews.csv
IMDB ?= ../shared/datasets/imdb

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# --- installation: idempotent, re-runs only when the pinned files change -------------
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-container.txt $(wildcard lambda/*/requirements.txt)
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==25.3
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -r requirements-container.txt
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

# CI's diff and deploy jobs: synthesis runs `.venv/bin/python app.py` under the pinned CLI,
# and needs neither Java nor Chromium.
install-cdk: $(VENV)/.installed node_modules/.installed ## Only what cdk synth, diff and deploy need

# --- infrastructure -----------------------------------------------------------------
# Synth needs no trained model: without one a stage deploys its API with no endpoint yet.
# BOOTSTRAP_MODEL=build/model/model.tar.gz serves a locally trained model until a
# registry package is approved (`-c model_package_arn=...`).
BOOTSTRAP_MODEL ?=
MODEL_CONTEXT = $(if $(BOOTSTRAP_MODEL),-c bootstrap_model=$(BOOTSTRAP_MODEL))

synth: install ## Synthesise every stack of STAGE (dev|prod) with cdk-nag [BOOTSTRAP_MODEL=path]
	$(NPX) cdk synth --quiet -c stage=$(STAGE) $(MODEL_CONTEXT) -o cdk.out/$(STAGE)

# Prices the stages as they serve a model (the bootstrap one stands in for a package).
cost: install $(BUILD)/model/model.tar.gz ## Estimated monthly cost of both stages from their templates
	$(NPX) cdk synth --quiet -c stage=dev -c bootstrap_model=$(BUILD)/model/model.tar.gz -o cdk.out/dev
	$(NPX) cdk synth --quiet -c stage=prod -c bootstrap_model=$(BUILD)/model/model.tar.gz -o cdk.out/prod
	$(PY) cost/estimate.py cdk.out/dev cdk.out/prod

lint: install ## ruff lint + format check, mypy type check, actionlint on the workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/actionlint .github/workflows/*.yml

format: install ## Apply ruff formatting and safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint ## Lint, synthesise both stages (nag + cfn-lint), run every test
	$(PY) -m pytest

test-fast: install ## The inner loop: every test but Spark, browser and model-fitting ones
	$(PY) -m pytest -m "not spark and not browser and not training"

images: install ## Regenerate the region -> scikit-learn image table from the pinned SDK
	$(PY) scripts/sklearn_images.py

# --- the local twins ----------------------------------------------------------------
etl: install ## Local Glue twin: clean ETL_INPUT into build/etl (processed, quarantine, curated)
	$(PY) glue_jobs/clean_reviews.py --local --input $(ETL_INPUT) --output $(BUILD)/etl

# Trains on DATA when given (e.g. DATA=../shared/datasets/imdb), else on the ETL output.
train: install ## Local SageMaker twin: train.py through SM_* on build/etl/curated (or DATA=...)
	@if [ -n "$(DATA)" ]; then \
	  $(PY) local/run_training.py --data $(DATA) --output $(BUILD)/model; \
	else \
	  $(MAKE) --no-print-directory etl && \
	  $(PY) local/run_training.py --data $(BUILD)/etl/curated --output $(BUILD)/model; \
	fi

# Retrain when the training code changes: an old pickle does not load into new classes.
$(BUILD)/model/model.tar.gz: $(wildcard training/*.py) local/run_training.py common/text_normalization.py common/review_labels.py common/training_metrics.py common/lake_layout.py common/drift_features.py
	$(MAKE) --no-print-directory train

model: install ## Train the bootstrap model build/model/model.tar.gz (served with -c bootstrap_model=...)
	$(MAKE) --no-print-directory train

# Every model call is logged per variant (what `make ab-report` reads) and captured in
# SageMaker's data-capture format under CAPTURE_DIR (what `make drift` reads).
REQUEST_LOG ?= $(BUILD)/serve/requests.jsonl
CAPTURE_DIR ?= $(BUILD)/serve/capture
SERVE_ARGS ?=
serve: install $(BUILD)/model/model.tar.gz ## Local API + page on 127.0.0.1:$$PORT through the Lambda handler, STAGE's limits [SERVE_ARGS="--variant a=DIR:W --variant b=DIR:W --seed N" CAPTURE_DIR=dir]
	PORT=$(PORT) $(PY) local/serve.py --model-dir $(BUILD)/model/model --stage $(STAGE) --request-log $(REQUEST_LOG) --capture-dir $(CAPTURE_DIR) $(SERVE_ARGS)

INPUT ?=
OUTPUT ?= $(BUILD)/batch
batch: install $(BUILD)/model/model.tar.gz ## Batch Transform twin: INPUT (file or folder; default the ETL's scoring channel) -> OUTPUT/<name>.out
	$(PY) local/batch.py $(INPUT) --output $(OUTPUT) --model-dir $(BUILD)/model/model --stage $(STAGE)

MODEL ?= $(BUILD)/model/model
drift: install ## Drift job twin: PSI, OOV and shares of CAPTURE_DIR (what make serve captured) against MODEL's baseline
	$(PY) local/drift.py $(CAPTURE_DIR) --model-dir $(MODEL) --stage $(STAGE)

MLFLOW_PORT ?= 5000
experiments: install ## MLflow UI on 127.0.0.1:$(MLFLOW_PORT) over the local training runs (build/mlflow.db)
	$(VENV)/bin/mlflow ui --backend-store-uri sqlite:///$(BUILD)/mlflow.db --artifacts-destination $(BUILD)/mlartifacts --host 127.0.0.1 --port $(MLFLOW_PORT) --workers 1

LOG ?= $(REQUEST_LOG)
ab-report: install ## A/B report twin over a local request log [LOG=... CHAMPION=variant]
	$(PY) local/ab_report.py $(LOG) $(if $(CHAMPION),--champion $(CHAMPION))

demo: install ## Synthesise dev, then ETL -> train -> predict through the handler, all locally
	@echo "== 1/5 local ETL on the sample (Glue twin) =="
	$(PY) glue_jobs/clean_reviews.py --local --input $(ETL_INPUT) --output $(BUILD)/etl
	@echo "== 2/5 training through the SageMaker script-mode contract =="
	$(PY) local/run_training.py --data $(BUILD)/etl/curated --output $(BUILD)/model
	@echo "== 3/5 cdk synth of every dev stack, with cdk-nag =="
	$(NPX) cdk synth --quiet -c stage=dev -c bootstrap_model=$(BUILD)/model/model.tar.gz -o cdk.out/dev
	$(PY) scripts/synth_summary.py cdk.out/dev
	@echo "== 4/5 predictions through the Lambda handler and the local model =="
	$(PY) local/predict_demo.py --model-dir $(BUILD)/model/model --stage $(STAGE)
	@echo "== 5/5 batch scoring of the curated test split (Batch Transform twin) =="
	$(PY) local/batch.py --output $(BUILD)/batch --model-dir $(BUILD)/model/model --stage $(STAGE)

bench: install ## Benchmarks on the real IMDb data (IMDB=path): ETL, training, serving
	$(PY) bench/etl.py --data $(IMDB)
	$(PY) bench/train.py --data $(IMDB)
	$(PY) bench/serve.py --model-dir $(BUILD)/bench/model --reviews-csv $(IMDB)/test.csv.gz
	$(PY) bench/handler_import.py
	$(PY) bench/batch.py --model-dir $(BUILD)/bench/model --data $(IMDB)/test.csv.gz
	$(PY) bench/compare_backends.py --model-dir $(BUILD)/bench/model --data $(IMDB)/test.csv.gz

clean: ## Remove build output, synth output and caches (keeps .venv and node_modules)
	rm -rf $(BUILD) cdk.out .pytest_cache .ruff_cache .hypothesis spark-warehouse metastore_db derby.log
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -not -path './node_modules/*' -exec rm -rf {} +
