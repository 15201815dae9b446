"""Experiment tracking: an MLflow run per training run when asked, no mlflow otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from training_helpers import REPO_ROOT, SMALL_MODEL_ARGS

from tracking import log_run, run_metrics, run_params

REPORT = {
    "metrics": {
        "validation": {
            "accuracy": 0.9,
            "precision": 0.8,
            "recall": 1.0,
            "f1": 0.89,
            "roc_auc": None,
        },
        "test": {"accuracy": 0.85, "precision": 0.8, "recall": 0.9, "f1": 0.85, "roc_auc": 0.93},
    },
    "uncertainty": {
        "validation": {"threshold": 0.8, "coverage": 0.7, "kept_accuracy": 0.97},
        "test": {"threshold": 0.8, "coverage": 0.6, "kept_accuracy": None},
    },
    "data_rows": {"train": 48, "validation": 20, "test": 20},
    "training_seconds": 1.5,
    "hyperparameters": {"word_c": 4.0, "seed": 7},
    "settings": {"uncertainty_target_accuracy": 0.97},
}


def test_run_metrics_and_params_flatten_the_report():
    metrics = run_metrics(REPORT)
    assert metrics["test_roc_auc"] == 0.93 and "validation_roc_auc" not in metrics
    assert metrics["validation_uncertainty_threshold"] == 0.8
    assert "test_uncertainty_kept_accuracy" not in metrics
    assert run_params(REPORT) == {
        "word_c": 4.0,
        "seed": 7,
        "uncertainty_target_accuracy": 0.97,
        "data_rows_train": 48,
        "data_rows_validation": 20,
        "data_rows_test": 20,
    }


def _read_back(uri: str, experiment: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    runs = client.search_runs([found.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    artifacts = {
        folder.path: sorted(
            item.path for item in client.list_artifacts(run.info.run_id, folder.path)
        )
        for folder in client.list_artifacts(run.info.run_id)
    }
    return found, run, artifacts


def test_a_run_is_logged_to_a_sqlite_store(tmp_path):
    report_file = tmp_path / "evaluation_report.html"
    report_file.write_text("<html></html>")
    card = tmp_path / "model_card.json"
    card.write_text("{}")
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    (tmp_path / "store").mkdir()
    tags = {"model_version": "local-1", "code_version": "sha256:0123456789abcdef"}
    artifacts = [(report_file, "evaluation"), (card, "model")]
    run_id = log_run(uri, "tests", REPORT, tags, artifacts)

    experiment, run, logged = _read_back(uri, "tests")
    assert run.info.run_id == run_id and run.info.run_name == "local-1"
    assert run.data.params["word_c"] == "4.0"
    assert run.data.params["data_rows_test"] == "20"
    assert run.data.metrics["test_accuracy"] == 0.85
    assert run.data.metrics["validation_uncertainty_coverage"] == 0.7
    assert run.data.tags["code_version"] == "sha256:0123456789abcdef"
    assert logged == {
        "evaluation": ["evaluation/evaluation_report.html"],
        "model": ["model/model_card.json"],
    }
    # Artifacts beside the store, not in whatever directory training ran from.
    assert experiment.artifact_location == (tmp_path / "store" / "mlartifacts").as_uri()


def _train_in_subprocess(trained, tmp_path: Path, env: dict[str, str], probe: str) -> dict:
    channels = trained["channels"]
    argv = [
        *SMALL_MODEL_ARGS,
        *("--model-dir", str(tmp_path / "model"), "--output-data-dir", str(tmp_path / "out")),
        *("--train", str(channels["train"]), "--validation", str(channels["validation"])),
        *("--test", str(channels["test"])),
    ]
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(REPO_ROOT / 'training')!r})\n"
        "import train\n"
        f"status = train.main({argv!r})\n"
        f"print(json.dumps({{'status': status, 'probe': {probe}}}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "MLFLOW_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=clean | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.training
def test_without_a_tracking_uri_mlflow_is_never_imported(trained, tmp_path):
    answer = _train_in_subprocess(trained, tmp_path, {}, "'mlflow' in sys.modules")
    assert answer == {"status": 0, "probe": False}


@pytest.mark.training
def test_training_logs_its_run_when_asked(trained, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {"MLFLOW_TRACKING_URI": uri, "MLFLOW_EXPERIMENT_NAME": "tests"}
    answer = _train_in_subprocess(trained, tmp_path, env, "'mlflow' in sys.modules")
    assert answer == {"status": 0, "probe": True}
    _, run, logged = _read_back(uri, "tests")
    assert run.data.params["seed"] == "0"
    assert run.data.params["data_rows_validation"] == "20"
    assert run.data.metrics["test_accuracy"] >= 0.9
    assert run.data.tags["code_version"].startswith(("git:", "sha256:"))
    assert "evaluation/evaluation_report.html" in logged["evaluation"]
    assert "evaluation/metrics.json" in logged["evaluation"]
    assert logged["model"] == ["model/model_card.json"]


def test_the_training_image_gets_the_versions_tested_here():
    # training/requirements.txt is what a SageMaker training job installs; the report and
    # tracking are tested here with the same versions (requirements-dev.txt).
    from importlib.metadata import version

    lines = (REPO_ROOT / "training" / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    for name in ("matplotlib", "mlflow-skinny", "sagemaker-mlflow"):
        assert version(name) == pins[name], name
    # Kept at the image's own version (see the file); the venv's may be newer.
    assert pins["protobuf"] == "3.20.2"
