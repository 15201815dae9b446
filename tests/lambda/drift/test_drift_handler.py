"""The scheduled drift job against moto S3 and CloudWatch: read capture, publish, read back."""

from __future__ import annotations

import importlib
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3
import pytest
from capture_fixtures import sample_baseline, scored_record
from moto import mock_aws

from capture_records import CaptureStats, read_capture
from drift_metrics import NAMESPACE, measure

BUCKET = "models"
ENDPOINT = "reviews-prod"
PERIOD_END = datetime(2026, 1, 31, 12, 30, tzinfo=UTC)
TEXTS = [f"review number {i} " + "word " * (i % 40) for i in range(200)]


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield s3, boto3.client("cloudwatch")


def put_capture(
    s3, variant: str, hour: datetime, lines: list[str], encoding_name: str = "a"
) -> None:
    key = f"data-capture/{ENDPOINT}/{variant}/{hour:%Y/%m/%d/%H}/00-01-002-{encoding_name}.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(lines).encode())


def model_archive(baseline: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (
            ("model.json", b"{}"),
            ("drift_baseline.json", json.dumps(baseline).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def traffic(count: int, shift: float = 0.0) -> list[tuple[str, float]]:
    return [(TEXTS[i % 200], min((i % 200) / 200 + shift, 1.0)) for i in range(count)]


def champion_serving(s3, reviews: int) -> None:
    """The champion's baseline in place and `reviews` captured calls in one hour."""
    key = "models/champion/drift_baseline.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(sample_baseline()))
    hour = datetime(2026, 1, 31, 3, tzinfo=UTC)
    put_capture(s3, "champion", hour, [scored_record(t, p) for t, p in traffic(reviews)])


def settings(**overrides):
    from drift_handler import DriftSettings

    values = {
        "capture_uri": f"s3://{BUCKET}/data-capture",
        "endpoint_name": ENDPOINT,
        "baseline_uri": f"s3://{BUCKET}/models/champion/drift_baseline.json",
        "variant_baseline_uris": {"challenger": f"s3://{BUCKET}/models/challenger/model.tar.gz"},
        "min_reviews": 100,
        "period_hours": 24,
    }
    return DriftSettings(**{**values, **overrides})


def published(cloudwatch, variant: str) -> dict[str, float]:
    values = {}
    for metric in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]:
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        if dimensions != {"EndpointName": ENDPOINT, "VariantName": variant}:
            continue
        stats = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=metric["MetricName"],
            Dimensions=metric["Dimensions"],
            StartTime=PERIOD_END - timedelta(days=2),
            EndTime=PERIOD_END + timedelta(days=1),
            Period=86400,
            Statistics=["Maximum"],
        )
        values[metric["MetricName"]] = max(p["Maximum"] for p in stats["Datapoints"])
    return values


def test_the_job_publishes_per_variant_what_the_capture_shows(aws):
    from drift_handler import run_drift_job

    s3, cloudwatch = aws
    baseline = sample_baseline()
    s3.put_object(
        Bucket=BUCKET, Key="models/champion/drift_baseline.json", Body=json.dumps(baseline)
    )
    s3.put_object(Bucket=BUCKET, Key="models/challenger/model.tar.gz", Body=model_archive(baseline))
    hour = datetime(2026, 1, 31, 3, tzinfo=UTC)
    champion = traffic(400)
    put_capture(s3, "champion", hour, [scored_record(t, p) for t, p in champion[:200]])
    put_capture(
        s3,
        "champion",
        hour + timedelta(hours=5),
        [scored_record(t, p, "BASE64") for t, p in champion[200:]],
    )
    # Outside the period (the hour being written, and two days ago): not read.
    put_capture(s3, "champion", datetime(2026, 1, 31, 12, tzinfo=UTC), ["{broken"] * 50)
    put_capture(s3, "champion", hour - timedelta(days=2), [scored_record("x", 0.99)] * 500)
    shifted = traffic(120, shift=0.5)
    put_capture(s3, "challenger", hour, [scored_record(t, p) for t, p in shifted] + ["not json"])

    outcome = run_drift_job(settings(), s3, cloudwatch, PERIOD_END)

    assert outcome["status"] == "published" and outcome["metrics_published"] == 12
    assert outcome["period"] == ["2026-01-30T12:00:00+00:00", "2026-01-31T12:00:00+00:00"]
    by_variant = {v["variant"]: v for v in outcome["variants"]}
    assert by_variant["champion"]["reviews"] == 400
    assert by_variant["challenger"]["skipped_records"] == 1
    lines = [scored_record(t, p) for t, p in champion]
    expected = measure(list(read_capture(lines, CaptureStats())), baseline)
    champion_metrics = published(cloudwatch, "champion")
    assert champion_metrics == pytest.approx(expected)
    # Twice the validation split: shaped like the baseline.
    assert champion_metrics["ScorePsi"] < 0.01
    challenger_metrics = published(cloudwatch, "challenger")
    assert challenger_metrics["ScorePsi"] > 1.0 and challenger_metrics["Reviews"] == 120


def test_a_model_without_a_baseline_says_so_and_publishes_nothing(aws):
    from drift_handler import run_drift_job

    s3, cloudwatch = aws
    put_capture(
        s3, "champion", datetime(2026, 1, 31, 3, tzinfo=UTC), [scored_record("good", 0.9)] * 200
    )
    outcome = run_drift_job(settings(), s3, cloudwatch, PERIOD_END)
    assert outcome["status"] == "no_baseline"
    assert outcome["variants"] == [
        {"variant": "champion", "status": "no_baseline", "baseline": settings().baseline_uri}
    ]
    assert cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"] == []


def test_too_few_reviews_publish_nothing(aws):
    from drift_handler import run_drift_job

    s3, cloudwatch = aws
    champion_serving(s3, reviews=99)
    outcome = run_drift_job(settings(), s3, cloudwatch, PERIOD_END)
    assert outcome["status"] == "nothing_published"
    assert outcome["variants"][0]["status"] == "too_few_reviews"
    assert cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"] == []


def test_the_lambda_entry_point_reads_its_environment(aws, monkeypatch):
    s3, cloudwatch = aws
    champion_serving(s3, reviews=150)
    monkeypatch.setenv("CAPTURE_S3_URI", f"s3://{BUCKET}/data-capture/")
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("BASELINE_S3_URI", f"s3://{BUCKET}/models/champion/drift_baseline.json")
    monkeypatch.setenv("MIN_REVIEWS", "150")
    import drift_handler

    module = importlib.reload(drift_handler)
    module._clients.cache_clear()
    context = SimpleNamespace(
        function_name="drift",
        memory_limit_in_mb=256,
        invoked_function_arn="arn",
        aws_request_id="r",
    )
    outcome = module.handler({"period_end": PERIOD_END.isoformat(), "period_hours": 12}, context)
    assert outcome["status"] == "published"
    assert outcome["period"][0] == "2026-01-31T00:00:00+00:00"
    assert published(cloudwatch, "champion")["Reviews"] == 150


def test_the_entry_point_warns_naming_each_variant_left_unmeasured(aws, monkeypatch):
    s3, _ = aws
    put_capture(
        s3, "champion", datetime(2026, 1, 31, 3, tzinfo=UTC), [scored_record("good", 0.9)] * 200
    )
    monkeypatch.setenv("CAPTURE_S3_URI", f"s3://{BUCKET}/data-capture/")
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("BASELINE_S3_URI", f"s3://{BUCKET}/models/gone/drift_baseline.json")
    import drift_handler

    module = importlib.reload(drift_handler)
    module._clients.cache_clear()
    context = SimpleNamespace(
        function_name="drift",
        memory_limit_in_mb=256,
        invoked_function_arn="arn",
        aws_request_id="r",
    )
    warnings: list[str] = []
    monkeypatch.setattr(module.logger, "warning", lambda message, **_: warnings.append(message))
    outcome = module.handler({"period_end": PERIOD_END.isoformat()}, context)
    assert outcome["status"] == "no_baseline"
    assert warnings == ["no usable drift baseline for champion (no_baseline)"]


def test_the_baseline_is_read_from_a_cdk_asset_whatever_its_key_ends_with(aws):
    from capture_store import baseline_from_s3

    s3, _ = aws
    baseline = sample_baseline()
    # The CDK uploads the bootstrap model as "<hash>.gz": a tarball all the same.
    s3.put_object(Bucket=BUCKET, Key="assets/0a1b2c.gz", Body=model_archive(baseline))
    s3.put_object(Bucket=BUCKET, Key="plain/drift_baseline.json", Body=json.dumps(baseline))
    assert baseline_from_s3(s3, f"s3://{BUCKET}/assets/0a1b2c.gz") == baseline
    assert baseline_from_s3(s3, f"s3://{BUCKET}/plain/drift_baseline.json") == baseline
    assert baseline_from_s3(s3, f"s3://{BUCKET}/assets/missing.gz") is None
