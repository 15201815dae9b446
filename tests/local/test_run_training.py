"""The local twin of a SageMaker training job: channels, the SM_* run, the model archive."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

# The training tests' helpers (tiny reviews, small-model arguments); their folder is on the
# path already when the whole suite runs, not when this module runs alone.
_TRAINING_TESTS = str(Path(__file__).resolve().parents[1] / "training")
if _TRAINING_TESTS not in sys.path:
    sys.path.append(_TRAINING_TESTS)

from training_helpers import RUN_TRAINING, SMALL_MODEL_ARGS, make_reviews  # noqa: E402

import run_training  # noqa: E402
from model_artifact import CODE_FILES, MODEL_CARD_FILENAME, MODEL_FILES  # noqa: E402
from train import EXIT_DATA_ERROR  # noqa: E402


def _run_twin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # Never the developer's MLflow store, nor the repository's build/mlflow.db.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return subprocess.run(
        [sys.executable, str(RUN_TRAINING), *args],
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_channel_folders_are_used_as_they_are(tmp_path):
    for name in ("train", "test", "other"):
        (tmp_path / "data" / name).mkdir(parents=True)
    channels = run_training.resolve_channels(tmp_path / "data", tmp_path / "staging")
    assert channels == {"train": tmp_path / "data" / "train", "test": tmp_path / "data" / "test"}


def test_channel_files_are_linked_into_channel_folders(tmp_path):
    data = tmp_path / "imdb"
    data.mkdir()
    for name in ("train.csv.gz", "Validation.csv", "test.parquet", "train_meta.csv.gz", "x.txt"):
        (data / name).write_text("")
    channels = run_training.resolve_channels(data, tmp_path / "staging")
    assert sorted(channels) == ["test", "train", "validation"]
    assert (channels["train"] / "train.csv.gz").resolve() == data / "train.csv.gz"
    assert [p.name for p in channels["validation"].iterdir()] == ["Validation.csv"]


def test_missing_training_data_stops_with_a_reason(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        run_training.resolve_channels(tmp_path / "nowhere", tmp_path / "staging")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "test.csv").write_text("")
    with pytest.raises(SystemExit, match="no training data"):
        run_training.resolve_channels(tmp_path / "data", tmp_path / "staging")


def test_arguments_after_a_double_dash_go_to_train_py():
    args, hyperparameters = run_training.parse_args(
        ["--data", "d", "--output", "o", "--", "--word-c", "32"]
    )
    assert (args.data, args.output) == (Path("d"), Path("o"))
    assert hyperparameters == ["--word-c", "32"]
    args, hyperparameters = run_training.parse_args([])
    assert args.data == run_training.DEFAULT_DATA
    assert hyperparameters == []


def test_the_archive_depends_on_content_only(tmp_path):
    model_dir = tmp_path / "model"
    (model_dir / "code" / "__pycache__").mkdir(parents=True)
    (model_dir / "model.joblib").write_bytes(b"weights")
    (model_dir / "code" / "inference.py").write_text("handler")
    (model_dir / "code" / "__pycache__" / "inference.pyc").write_bytes(b"cache")
    first = run_training.pack_model(model_dir, tmp_path / "first.tar.gz")
    (model_dir / "model.joblib").touch()  # a new mtime, the same content
    second = run_training.pack_model(model_dir, tmp_path / "second.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    with gzip.open(first) as stream:
        assert stream.read(1)  # a gzip stream without a name or time in its header
    with tarfile.open(first) as tar:
        assert tar.getnames() == ["code", "code/inference.py", "model.joblib"]
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())


@pytest.mark.training
def test_run_training_maps_files_to_channels_and_packs_archive(tmp_path):
    data = tmp_path / "imdb"
    data.mkdir()
    make_reviews(40, seed=1).to_csv(data / "train.csv.gz", index=False)
    make_reviews(16, seed=2).to_csv(data / "test.csv.gz", index=False)
    out = tmp_path / "build"
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ("--data", str(data), "--output", str(out), "--", *SMALL_MODEL_ARGS)
    result = _run_twin(*args, env={"MLFLOW_TRACKING_URI": store})
    assert result.returncode == 0, result.stderr
    assert "test:accuracy=" in result.stdout
    assert "model archive:" in result.stdout
    # The report's place is printed (make train shows it); a tracking URI set is used.
    report_page = out / "output" / "data" / "evaluation_report.html"
    assert f"evaluation report: {report_page}" in result.stdout
    assert report_page.is_file()
    assert f"experiment tracking: {store}" in result.stdout
    assert "mlflow run: " in result.stdout
    report = json.loads((out / "output" / "data" / "metrics.json").read_text())
    assert report["data_rows"] == {"train": 40, "test": 16}
    with tarfile.open(out / "model.tar.gz") as tar:
        names = tar.getnames()
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())
    # No validation split, so no drift baseline; the card is always there.
    expected = [*MODEL_FILES, MODEL_CARD_FILENAME, "code", *(f"code/{n}" for n in CODE_FILES)]
    assert sorted(names) == sorted(expected)
    # Same content, same bytes: the archive is reproducible.
    again = run_training.pack_model(out / "model", tmp_path / "again.tar.gz")
    assert again.read_bytes() == (out / "model.tar.gz").read_bytes()


def test_run_training_reports_training_failure(tmp_path):
    data = tmp_path / "curated"
    (data / "train").mkdir(parents=True)
    result = _run_twin("--data", str(data), "--output", str(tmp_path / "build"), "--no-tracking")
    assert "experiment tracking: off" in result.stdout
    assert result.returncode == EXIT_DATA_ERROR
    assert (
        "no CSV, CSV.gz or Parquet file" in (tmp_path / "build" / "output" / "failure").read_text()
    )


def test_tracking_defaults_to_the_local_store_unless_told_otherwise():
    assert run_training.DEFAULT_TRACKING_URI.endswith("/build/mlflow.db")
    assert run_training.tracking_uri({}, True) == run_training.DEFAULT_TRACKING_URI
    assert run_training.tracking_uri({"MLFLOW_TRACKING_URI": "sqlite:///x.db"}, True) == (
        "sqlite:///x.db"
    )
    assert run_training.tracking_uri({"MLFLOW_TRACKING_URI": "sqlite:///x.db"}, False) is None
    args, _ = run_training.parse_args(["--no-tracking"])
    assert args.tracking is False
    assert run_training.parse_args([])[0].tracking is True
