"""Experiment tracking: one MLflow run per training run, when a tracking URI is set.

``MLFLOW_TRACKING_URI`` switches it on: ``sqlite:///…`` locally (the local twin's default,
build/mlflow.db), an MLflow App ARN in SageMaker (through the ``sagemaker-mlflow``
plugin, which signs with the job's role). ``MLFLOW_EXPERIMENT_NAME`` names the
experiment (default ``reviews-sentiment``). Without the URI nothing here runs and mlflow
is never imported: a training job does not depend on it.

A run holds the hyperparameters and data sizes (params), the metrics per split and the
uncertain band (metrics), the code and model versions (tags) and the evaluation report,
metrics.json and the model card (artifacts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from training_metrics import PRINTED_METRICS

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT_ENV = "MLFLOW_EXPERIMENT_NAME"
DEFAULT_EXPERIMENT = "reviews-sentiment"
BAND_METRICS = ("threshold", "coverage", "kept_accuracy")


def tracking_uri(environ: Mapping[str, str]) -> str | None:
    return environ.get(TRACKING_URI_ENV) or None


def run_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """``<split>_<metric>`` for every number of the report worth a chart."""
    metrics: dict[str, float] = {"training_seconds": float(report["training_seconds"])}
    for split, measured in report["metrics"].items():
        for name in PRINTED_METRICS:
            if measured.get(name) is not None:
                metrics[f"{split}_{name}"] = float(measured[name])
    for split, band in report["uncertainty"].items():
        for name in BAND_METRICS:
            if band.get(name) is not None:
                metrics[f"{split}_uncertainty_{name}"] = float(band[name])
    return metrics


def run_params(report: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(report["hyperparameters"]) | dict(report["settings"])
    params |= {f"data_rows_{split}": rows for split, rows in report["data_rows"].items()}
    return params


def _artifact_location(uri: str) -> str | None:
    """Beside a local SQLite store (``…/mlflow.db`` -> ``…/mlartifacts``), so artifacts
    never land in whatever directory training runs from; None elsewhere (an MLflow App
    keeps them in its own bucket)."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()


def _experiment_id(client: Any, name: str, uri: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(name, artifact_location=_artifact_location(uri)))


def log_run(
    uri: str,
    experiment: str,
    report: Mapping[str, Any],
    tags: Mapping[str, str],
    artifacts: Iterable[tuple[Path, str]],
) -> str:
    """Log one training run; ``artifacts`` are (file, folder in the run). The run id."""
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(uri)
    experiment_id = _experiment_id(MlflowClient(uri), experiment, uri)
    with mlflow.start_run(experiment_id=experiment_id, run_name=tags.get("model_version")) as run:
        mlflow.log_params(run_params(report))
        mlflow.log_metrics(run_metrics(report))
        mlflow.set_tags(dict(tags))
        for path, folder in artifacts:
            mlflow.log_artifact(str(path), artifact_path=folder or None)
    return str(run.info.run_id)
