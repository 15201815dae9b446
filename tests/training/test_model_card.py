"""The model card, the drift baseline and the Model Registry's evaluation documents."""

from __future__ import annotations

import json

import boto3
import numpy as np
import pytest
from moto import mock_aws
from training_helpers import SMALL_MODEL_ARGS

import drift_features
import train
from evaluation import quality_statistics
from evaluation_report import FIGURES
from model_artifact import DRIFT_BASELINE_FILENAME, MODEL_CARD_FILENAME
from model_card import code_version, model_version_for, parse_s3_uri, upload_documents

BUCKET = "models-bucket"


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


def _objects(client) -> dict[str, dict | bytes]:
    """Key -> JSON content (bytes for other files) of every object in the bucket."""
    objects = {}
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        answer = client.get_object(Bucket=BUCKET, Key=item["Key"])
        body = answer["Body"].read()
        json_body = answer["ContentType"] == "application/json"
        objects[item["Key"]] = json.loads(body) if json_body else body
    return objects


@pytest.mark.training
def test_card_holds_the_contract_fields(trained):
    card = json.loads((trained["model_dir"] / MODEL_CARD_FILENAME).read_text())
    report = json.loads((trained["output_data_dir"] / "metrics.json").read_text())
    assert set(card) >= {
        "model_version",
        "trained_at",
        "metrics",
        "confusion_matrix",
        "uncertainty",
        "data_rows",
    }
    assert card["model_version"].startswith("local-")
    assert card["metrics"]["test"] == {
        name: report["metrics"]["test"][name]
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc")
    }
    assert card["confusion_matrix"]["labels"] == ["negative", "positive"]
    matrix = report["metrics"]["test"]["confusion_matrix"]["rows_true_columns_predicted"]
    assert card["confusion_matrix"]["test"] == matrix
    assert card["uncertainty"] == report["uncertainty"]
    assert card["data_rows"] == {"train": 48, "validation": 20, "test": 20}
    for split in ("validation", "test"):
        band = report["uncertainty"][split]
        assert set(band) == {"threshold", "coverage", "kept_accuracy", "target_accuracy"}
        assert band["target_accuracy"] == 0.97
    meta = json.loads((trained["model_dir"] / "model.json").read_text())
    assert report["uncertainty"]["validation"]["threshold"] == meta["uncertainty_threshold"]


@pytest.mark.training
def test_drift_baseline_is_built_on_the_validation_split(trained):
    baseline = json.loads((trained["model_dir"] / DRIFT_BASELINE_FILENAME).read_text())
    meta = json.loads((trained["model_dir"] / "model.json").read_text())
    assert baseline["version"] == drift_features.BASELINE_VERSION
    assert baseline["uncertainty_threshold"] == meta["uncertainty_threshold"]
    assert len(baseline["score_edges"]) == len(baseline["length_edges"]) == 11
    # The adjectives of the validation reviews were all seen in training.
    assert baseline["oov"]["rate"] == 0.0
    assert 0.0 <= baseline["positive_share"] <= 1.0


def test_the_artifact_names_the_drift_module_file():
    assert DRIFT_BASELINE_FILENAME == drift_features.BASELINE_FILENAME


def test_model_version_and_code_version(tmp_path):
    assert model_version_for({"TRAINING_JOB_NAME": "sentiment-1"}, "x") == "sentiment-1"
    env = {"SM_TRAINING_ENV": json.dumps({"job_name": "sentiment-2"})}
    assert model_version_for(env, "x") == "sentiment-2"
    assert model_version_for({}, "2026-01-02T03:04:05Z") == "local-20260102T030405Z"
    # Outside a checkout: a hash of the code files, which changes with their content.
    code = tmp_path / "train.py"
    code.write_text("print(1)\n")
    first = code_version(tmp_path, [code])
    assert first.startswith("sha256:") and len(first) == 7 + 16
    code.write_text("print(2)\n")
    assert code_version(tmp_path, [code]) != first


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://b/training-jobs/job-1/evaluation/", ("b", "training-jobs/job-1/evaluation/")),
        ("s3://b/prefix", ("b", "prefix/")),
        ("s3://b", ("b", "")),
    ],
)
def test_s3_uris(uri, expected):
    assert parse_s3_uri(uri) == expected


@pytest.mark.parametrize("uri", ["b/prefix", "https://b/prefix", "s3:///prefix"])
def test_bad_s3_uris_stop_at_parse_time(uri, capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--model-dir", "m", "--train", "t", "--evaluation-s3-uri", uri])
    assert "error:" in capsys.readouterr().err


def test_documents_land_under_the_prefix(s3, tmp_path):
    page = tmp_path / "report.html"
    page.write_text("<html></html>")
    uri = "s3://models-bucket/training-jobs/j/"
    written = upload_documents(uri, {"a.json": {"x": 1}}, [page])
    assert written == [uri + "a.json", uri + "report.html"]
    assert _objects(s3) == {
        "training-jobs/j/a.json": {"x": 1},
        "training-jobs/j/report.html": b"<html></html>",
    }
    head = s3.head_object(Bucket=BUCKET, Key="training-jobs/j/report.html")
    assert head["ContentType"] == "text/html"


def test_quality_statistics_have_the_model_monitor_shape():
    y_true = np.array([0, 0, 1, 1, 1])
    p_positive = np.array([0.2, 0.7, 0.8, 0.9, 0.4])
    statistics = quality_statistics(y_true, p_positive, "2026-01-01T00:00:00Z")
    metrics = statistics["binary_classification_metrics"]
    assert metrics["confusion_matrix"] == {"0": {"0": 1, "1": 1}, "1": {"0": 1, "1": 2}}
    assert metrics["accuracy"] == {"value": 0.6, "standard_deviation": "NaN"}
    assert metrics["precision"]["value"] == pytest.approx(2 / 3)
    assert metrics["recall"]["value"] == pytest.approx(2 / 3)
    assert metrics["auc"]["value"] == pytest.approx(5 / 6)
    curve = metrics["receiver_operating_characteristic_curve"]
    assert len(curve["false_positive_rates"]) == len(curve["true_positive_rates"]) >= 2
    assert statistics["dataset"]["item_count"] == 5
    json.dumps(statistics, allow_nan=False)  # plain JSON: "NaN" is a string here


def _train_args(trained, tmp_path) -> list[str]:
    channels = trained["channels"]
    return [
        *SMALL_MODEL_ARGS,
        *("--model-dir", str(tmp_path / "model"), "--output-data-dir", str(tmp_path / "out")),
        *("--train", str(channels["train"]), "--validation", str(channels["validation"])),
        *("--test", str(channels["test"]), "--failure-dir", str(tmp_path)),
    ]


@pytest.mark.training
def test_training_puts_evaluation_and_card_for_the_registry(trained, tmp_path, s3, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    args = _train_args(trained, tmp_path)
    assert train.main([*args, "--evaluation-s3-uri", f"s3://{BUCKET}/training-jobs/j1/"]) == 0
    objects = _objects(s3)
    report_files = ["metrics.json", "evaluation_report.html", *FIGURES.values()]
    names = ["evaluation.json", "model_card.json", *report_files]
    assert sorted(objects) == sorted(f"training-jobs/j1/{name}" for name in names)
    assert objects["training-jobs/j1/evaluation_report.html"].startswith(b"<!DOCTYPE html>")
    card = json.loads((tmp_path / "model" / MODEL_CARD_FILENAME).read_text())
    assert objects["training-jobs/j1/model_card.json"] == card
    metrics = objects["training-jobs/j1/evaluation.json"]["binary_classification_metrics"]
    assert metrics["accuracy"]["value"] == card["metrics"]["test"]["accuracy"]
    assert metrics["auc"]["value"] == card["metrics"]["test"]["roc_auc"]
    assert metrics["confusion_matrix"]["1"]["1"] == card["confusion_matrix"]["test"][1][1]


@pytest.mark.training
def test_without_the_uri_nothing_is_uploaded(trained, tmp_path, s3, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert train.main(_train_args(trained, tmp_path)) == 0
    assert _objects(s3) == {}
