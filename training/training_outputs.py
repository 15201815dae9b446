"""Everything a training run leaves behind once the model is fitted.

In the model directory: the model (with its uncertainty threshold), ``model_card.json``
and, with a validation split, ``drift_baseline.json``. In the output data directory:
``metrics.json`` and the evaluation report. Then, when asked: ``evaluation.json`` and
the card in S3 for the Model Registry (``--evaluation-s3-uri``), and an MLflow run
(``MLFLOW_TRACKING_URI``). train.py's ``run`` calls ``save`` and ``publish``; the
measures come from ``evaluation`` on the probabilities scored once per split.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import drift_features
from evaluation import confident_mistakes, quality_statistics, split_metrics
from model_artifact import (
    CODE_DIRNAME,
    DRIFT_BASELINE_FILENAME,
    MODEL_CARD_FILENAME,
    save_model,
)
from model_card import (
    EVALUATION_FILENAME,
    build_card,
    code_version,
    model_version_for,
    upload_documents,
    utc_now,
)
from sentiment_model import library_versions
from uncertainty import NO_BAND, band_figures, choose_threshold

METRICS_FILENAME = "metrics.json"
# The shared modules train.py imports (in the repository they live in common/).
SHARED_MODULES = (
    "drift_features",
    "lake_layout",
    "review_labels",
    "text_normalization",
    "training_metrics",
)


def code_files() -> list[Path]:
    """The code this run executes: training's modules and the shared ones."""
    files = {path.resolve() for path in Path(__file__).resolve().parent.glob("*.py")}
    for name in SHARED_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            files.add(Path(spec.origin).resolve())
    return sorted(files)


def _write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass
class TrainingRun:
    """One run's data and scores; ``save`` and ``publish`` write its outputs."""

    args: argparse.Namespace
    train_data: Any  # pandas.DataFrame
    eval_sets: dict[str, Any]
    # split -> (true labels, probability of positive)
    scored: dict[str, tuple[np.ndarray, np.ndarray]]
    written: list[tuple[Path, str]] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)

    def threshold(self) -> float:
        """Chosen on validation only; without it the band is off (and the run says so)."""
        if "validation" not in self.scored:
            print("no validation split: no uncertain band, no drift baseline", flush=True)
            return NO_BAND
        y_true, p_positive = self.scored["validation"]
        target = self.args.uncertainty_target_accuracy
        return choose_threshold(p_positive.tolist(), y_true.tolist(), target)

    def save(
        self, model: Any, params: dict[str, Any], sizes: dict[str, int], seconds: float
    ) -> dict[str, Any]:
        """Write the model, its documents, metrics.json and the report; the report dict."""
        threshold = self.threshold()
        model_dir = Path(self.args.model_dir)
        model_files = save_model(model, model_dir, uncertainty_threshold=threshold)
        target = self.args.uncertainty_target_accuracy
        report: dict[str, Any] = {
            "metrics": {c: split_metrics(*scores) for c, scores in self.scored.items()},
            "uncertainty": {
                c: band_figures(p.tolist(), y.tolist(), threshold) | {"target_accuracy": target}
                for c, (y, p) in self.scored.items()
            },
            "data_rows": sizes,
            "training_seconds": round(seconds, 3),
            "hyperparameters": params,
            "settings": {"uncertainty_target_accuracy": target},
            "model": {"files": {path.name: path.stat().st_size for path in model_files}},
            "versions": library_versions(),
        }
        trained_at = utc_now()
        self.card = build_card(
            report,
            model_version=model_version_for(os.environ, trained_at),
            trained_at=trained_at,
            code_version=code_version(Path(__file__).resolve().parent, code_files()),
        )
        documents = [_write_json(model_dir / MODEL_CARD_FILENAME, self.card)]
        if "validation" in self.scored:
            documents.append(self._drift_baseline(model_dir, threshold))
        report["model"]["documents"] = {path.name: path.stat().st_size for path in documents}
        report["model"]["code"] = sorted(p.name for p in (model_dir / CODE_DIRNAME).iterdir())
        report |= {key: self.card[key] for key in ("model_version", "trained_at", "code_version")}
        self.written.append((documents[0], "model"))
        if self.args.output_data_dir:
            self._write_evaluation(Path(self.args.output_data_dir), report)
        size = sum(path.stat().st_size for path in model_files)
        print(f"model: {model_dir} ({size / 1e6:.1f} MB)", flush=True)
        return report

    def _drift_baseline(self, model_dir: Path, threshold: float) -> Path:
        baseline = drift_features.build_baseline(
            train_texts=self.train_data["review"].tolist(),
            validation_texts=self.eval_sets["validation"]["review"].tolist(),
            probability_positive=self.scored["validation"][1].tolist(),
            uncertainty_threshold=threshold,
        )
        return _write_json(model_dir / DRIFT_BASELINE_FILENAME, baseline)

    def _write_evaluation(self, out: Path, report: dict[str, Any]) -> None:
        from evaluation_report import write_report

        out.mkdir(parents=True, exist_ok=True)
        metrics = _write_json(out / METRICS_FILENAME, report)
        print(f"metrics report: {metrics}", flush=True)
        mistakes: list[dict[str, Any]] = []
        if "test" in self.scored:
            y_true, p_positive = self.scored["test"]
            mistakes = confident_mistakes(
                self.eval_sets["test"]["review"].tolist(), y_true, p_positive
            )
        pages = write_report(out, report, self.scored, mistakes) if self.scored else []
        self.written += [(metrics, "evaluation"), *((path, "evaluation") for path in pages)]
        if pages:
            print(f"evaluation report: {pages[-1]}", flush=True)

    def publish(self, report: dict[str, Any]) -> None:
        """The registry's documents (when asked) and the MLflow run (when configured)."""
        if self.args.evaluation_s3_uri and self.scored:
            # The held-out split the registry shows: test when there is one.
            split = "test" if "test" in self.scored else list(self.scored)[-1]
            statistics = quality_statistics(*self.scored[split], self.card["trained_at"])
            documents = {EVALUATION_FILENAME: statistics, MODEL_CARD_FILENAME: self.card}
            # The report beside them, so the registry's reader finds the figures too.
            report_files = [path for path, folder in self.written if folder == "evaluation"]
            uri = self.args.evaluation_s3_uri
            for written in upload_documents(uri, documents, report_files):
                print(f"uploaded: {written}", flush=True)
        from tracking import tracking_uri

        uri = tracking_uri(os.environ)
        if uri is not None:
            self._track(uri, report)

    def _track(self, uri: str, report: dict[str, Any]) -> None:
        from tracking import DEFAULT_EXPERIMENT, EXPERIMENT_ENV, log_run

        experiment = os.environ.get(EXPERIMENT_ENV) or DEFAULT_EXPERIMENT
        tags = {key: self.card[key] for key in ("model_version", "code_version")}
        if tags["code_version"].startswith("git:"):
            tags["mlflow.source.git.commit"] = tags["code_version"][4:44]
        try:
            run_id = log_run(uri, experiment, report, tags, self.written)
        except Exception as exc:  # tracking records the run; it is no reason to fail it
            print(f"WARNING: experiment tracking failed: {exc!r}", file=sys.stderr, flush=True)
            return
        print(f"mlflow run: {run_id} (experiment {experiment!r}, {uri})", flush=True)
