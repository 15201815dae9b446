"""The model card, the code version, and the documents a training job hands the registry.

``model_card.json`` goes into the model directory: serving answers it as it is
(``application/vnd.reviews.model-card+json``), for the predict Lambda's ``GET /model``
and the web page. With ``--evaluation-s3-uri`` the job also puts ``evaluation.json``
(the Model Registry's ModelQuality statistics), the card and the evaluation report
(HTML, figures) under that S3 prefix, where the pipeline's registration step points the
model package's ModelMetrics.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training_metrics import PRINTED_METRICS

EVALUATION_FILENAME = "evaluation.json"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def model_version_for(environ: Mapping[str, str], trained_at: str) -> str:
    """The training job's name in SageMaker (unique per job), else ``local-<time>``."""
    if environ.get("TRAINING_JOB_NAME"):
        return environ["TRAINING_JOB_NAME"]
    try:
        job = json.loads(environ.get("SM_TRAINING_ENV", "{}")).get("job_name")
    except ValueError:
        job = None
    if job:
        return str(job)
    return "local-" + trained_at.replace("-", "").replace(":", "")


def _git(directory: Path, *args: str) -> str | None:
    try:
        # A fixed git command on the source directory; no shell, no input from outside.
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(directory), *args],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(directory: Path, files: Iterable[Path]) -> str:
    """``git:<commit>`` in a checkout (``-dirty`` when one of ``files``, the code that
    ran, differs from it), else a hash of those files (``sha256:<16 hex>``): a SageMaker
    source bundle carries no .git."""
    files = sorted(files, key=lambda path: path.name)
    commit = _git(directory, "rev-parse", "HEAD")
    if commit:
        changed = _git(directory, "status", "--porcelain", "--", *map(str, files))
        return f"git:{commit}" + ("-dirty" if changed else "")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def build_card(
    report: Mapping[str, Any], *, model_version: str, trained_at: str, code_version: str
) -> dict[str, Any]:
    """The card of the contract: version, time, metrics per split, test confusion matrix,
    the uncertain band and the data sizes."""
    metrics = report["metrics"]
    matrices: dict[str, Any] = {"labels": ["negative", "positive"]}
    for split, measured in metrics.items():
        matrices[split] = measured["confusion_matrix"]["rows_true_columns_predicted"]
    return {
        "model_version": model_version,
        "trained_at": trained_at,
        "code_version": code_version,
        "metrics": {
            split: {name: measured[name] for name in PRINTED_METRICS}
            for split, measured in metrics.items()
        },
        "confusion_matrix": matrices,
        "uncertainty": report["uncertainty"],
        "data_rows": report["data_rows"],
    }


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key prefix ending in "/" or empty) of ``s3://bucket/prefix/``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an S3 URI: {uri!r} (expected s3://bucket/prefix/)")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/"


CONTENT_TYPES = {".json": "application/json", ".html": "text/html", ".png": "image/png"}


def upload_documents(
    uri: str, documents: Mapping[str, Any], files: Iterable[Path] = (), client: Any = None
) -> list[str]:
    """Put each document as JSON, then each file as it is, under the prefix; the
    ``s3://`` URIs written."""
    bucket, prefix = parse_s3_uri(uri)
    if client is None:
        import boto3

        # The training container sets AWS_REGION; the job's role signs.
        client = boto3.client("s3", region_name=os.environ.get("AWS_REGION"))
    bodies = {name: (json.dumps(doc, indent=2) + "\n").encode() for name, doc in documents.items()}
    bodies |= {path.name: path.read_bytes() for path in files}
    written = []
    for name, body in bodies.items():
        content_type = CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
        client.put_object(Bucket=bucket, Key=prefix + name, Body=body, ContentType=content_type)
        written.append(f"s3://{bucket}/{prefix}{name}")
    return written
