"""The A/B Lambda against moto: SageMaker's variant metrics and labelled batch results."""

from __future__ import annotations

import gzip
import importlib
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from ab_report_handler import ReportSettings, labelled_counts, metric_sums, summaries_from_cloud

ENDPOINT = "reviews-prod"
END = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def aws(monkeypatch):
    # moto's region and fake credentials; the lake bucket in us-east-1 needs no location.
    environment = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="lake")
        yield boto3.client("cloudwatch"), boto3.client("s3")


def put_variant_metrics(
    cloudwatch, variant: str, calls: int, errors: int, latencies_us: list[float]
):
    dimensions = [
        {"Name": "EndpointName", "Value": ENDPOINT},
        {"Name": "VariantName", "Value": variant},
    ]
    data = [
        {"MetricName": "Invocations", "Value": calls / 2},
        {"MetricName": "Invocations", "Value": calls / 2},
        {"MetricName": "Invocation5XXErrors", "Value": errors},
        {"MetricName": "Invocation4XXErrors", "Value": 1},
        *(
            {"MetricName": "ModelLatency", "Value": value, "Unit": "Microseconds"}
            for value in latencies_us
        ),
    ]
    for offset, item in enumerate(data):
        item.update(Dimensions=dimensions, Timestamp=END - timedelta(minutes=5 + offset))
    cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=data)


def put_results(s3, key: str, pairs: list[tuple[str, str | None]], compress: bool = False) -> None:
    lines = [
        json.dumps({"review_id": i, "label": label, **({"true_label": t} if t else {})})
        for i, (label, t) in enumerate(pairs)
    ]
    lines.append(json.dumps({"line": 9, "error": {"code": "invalid_json", "message": "..."}}))
    body = "\n".join(lines).encode()
    s3.put_object(Bucket="lake", Key=key, Body=gzip.compress(body) if compress else body)


def labelled_runs(s3, champion_right: int, challenger_right: int) -> dict[str, str]:
    """1,000 labelled batch results per variant; the S3 prefix of each."""
    prefixes = {}
    for name, right in (("champion", champion_right), ("challenger", challenger_right)):
        pairs = [("positive", "positive")] * right + [("negative", "positive")] * (1000 - right)
        put_results(s3, f"scored/{name}/out.jsonl.out", pairs)
        prefixes[name] = f"s3://lake/scored/{name}/"
    return prefixes


def test_metric_sums_add_up_every_datapoint_per_variant(aws):
    cloudwatch, _ = aws
    put_variant_metrics(cloudwatch, "champion", 1000, 2, [2000.0, 4000.0])
    put_variant_metrics(cloudwatch, "challenger", 400, 0, [3000.0])
    sums = metric_sums(
        cloudwatch, ENDPOINT, ["champion", "challenger"], END - timedelta(hours=24), END
    )
    assert sums["champion"]["Invocations"] == 1000
    assert sums["champion"]["Invocation5XXErrors"] == 2
    assert (
        sums["champion"]["ModelLatency"] == 6000
        and sums["champion"]["ModelLatency:SampleCount"] == 2
    )
    assert sums["challenger"]["Invocations"] == 400


def test_labelled_results_count_plain_and_gzip_objects(aws):
    _, s3 = aws
    put_results(
        s3,
        "predictions/run_id=a/part-1.jsonl.out",
        [("positive", "positive"), ("negative", "positive")],
    )
    put_results(
        s3,
        "predictions/run_id=a/part-2.jsonl.gz.out",
        [("negative", "negative"), ("positive", None)],
        compress=True,
    )
    put_results(s3, "predictions/run_id=b/other.out", [("positive", "negative")])
    assert labelled_counts(s3, "s3://lake/predictions/run_id=a/") == (3, 2)


def test_the_report_from_the_cloud_promotes_a_better_challenger(aws):
    cloudwatch, s3 = aws
    put_variant_metrics(cloudwatch, "champion", 2000, 1, [2000.0, 4000.0])
    put_variant_metrics(cloudwatch, "challenger", 2000, 1, [3000.0])
    settings = ReportSettings(
        endpoint_name=ENDPOINT,
        variants=("champion", "challenger"),
        champion="champion",
        period_hours=24,
        labelled_results=labelled_runs(s3, 850, 900),
    )
    summaries = summaries_from_cloud(settings, cloudwatch, s3, END)
    champion = summaries["champion"]
    assert (champion.invocations, champion.errors_5xx, champion.errors_4xx) == (2000, 1, 1)
    assert champion.latency_ms == {"mean": 3.0}
    assert (champion.labelled, champion.correct) == (1000, 850)


def test_the_lambda_entry_point_answers_the_report(aws, monkeypatch):
    cloudwatch, s3 = aws
    put_variant_metrics(cloudwatch, "champion", 2000, 1, [2000.0])
    put_variant_metrics(cloudwatch, "challenger", 2000, 1, [3000.0])
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("VARIANTS", "champion, challenger")
    monkeypatch.setenv("CHAMPION_VARIANT", "champion")
    monkeypatch.setenv("LABELLED_RESULTS_S3_URIS", json.dumps(labelled_runs(s3, 850, 900)))
    import ab_report_handler

    module = importlib.reload(ab_report_handler)
    module._clients.cache_clear()
    context = SimpleNamespace(
        function_name="ab", memory_limit_in_mb=256, invoked_function_arn="arn", aws_request_id="r1"
    )
    report = module.handler({"period_hours": 24}, context)
    [verdict] = report["verdicts"]
    assert (verdict["champion"], verdict["challenger"], verdict["decision"]) == (
        "champion",
        "challenger",
        "promote",
    )
    assert verdict["accuracy"]["n_required"] == 686
    assert report["variants"]["challenger"]["latency_ms"] == {"mean": 3.0}
    # Without labelled results there is no accuracy to compare.
    report = module.handler(
        {"period_hours": 24, "labelled_results": {"x": "s3://lake/none/"}}, context
    )
    assert report["verdicts"][0]["decision"] == "not enough data"
