"""The drift job and its alarms, in a bare stack with cdk-nag: schedule, IAM, namespace,
thresholds, and the contract with lambda/drift (environment, metric names)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from app import cdk_json_context
from stacks.config import stage_config
from stacks.constructs.ml import drift_job
from stacks.constructs.ml.drift_job import NAMESPACE, period_hours
from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, alarm_facade
from stacks.constructs.monitoring.drift_watch import (
    LENGTH_PSI,
    OOV_RATE,
    REVIEWS,
    SCORE_PSI,
    SHARES,
    drift_rows,
)
from stacks.outputs import DriftSource, ModelArtifact

DRIFT = stage_config(cdk_json_context(), "prod").monitoring.drift
TWO_VARIANTS = {
    "Champion": "assets/abc.tar.gz",
    "Challenger": "models/training-jobs/j/model.tar.gz",
}


def _synth(outdir, retention, variants: dict[str, str]) -> tuple[dict, tuple]:
    """The bare stack's template (nag attached: a finding fails the synth) and its rows."""
    app = cdk.App(outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "Bare")
    buckets = {
        "models": s3.Bucket.from_bucket_name(stack, "Models", "models-bucket"),
        "assets": s3.Bucket.from_bucket_name(stack, "Assets", "asset-bucket"),
    }
    source = DriftSource(
        endpoint_name="ep-sentiment",
        capture_bucket=buckets["models"],
        capture_prefix="data-capture",
        baselines={
            variant: ModelArtifact(buckets[where.split("/", 1)[0]], where.split("/", 1)[1])
            for variant, where in variants.items()
        },
    )
    style = AlarmStyle(name_prefix="p-s", period=cdk.Duration.minutes(5), evaluation_periods=3)
    rows = drift_rows(
        stack,
        alarm_facade(stack, "Alarms", style=style, topic=sns.Topic(stack, "T", enforce_ssl=True)),
        style=style,
        config=DRIFT,
        source=source,
        key=kms.Key(stack, "Key", enable_key_rotation=True),
        retention=retention,
    )
    app.synth()
    return Template.from_stack(stack).to_json(), rows


@pytest.fixture(scope="module")
def two_variants(tmp_path_factory):
    from stacks.constructs.shared.retention import Retention

    retention = Retention(retain_data=False, log_retention_days=7)
    return _synth(tmp_path_factory.mktemp("drift"), retention, TWO_VARIANTS)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def test_the_job_runs_the_drift_handler_on_the_drift_schedule(two_variants):
    template, _ = two_variants
    (function,) = _of_type(template, "AWS::Lambda::Function").values()
    props = function["Properties"]
    assert (props["Handler"], props["Runtime"]) == ("drift_handler.handler", "python3.14")
    assert props["Environment"]["Variables"] == {
        "CAPTURE_S3_URI": "s3://models-bucket/data-capture",
        "ENDPOINT_NAME": "ep-sentiment",
        "BASELINE_S3_URI": "s3://asset-bucket/abc.tar.gz",
        "VARIANT_BASELINE_S3_URIS": json.dumps(
            {"Challenger": "s3://models-bucket/training-jobs/j/model.tar.gz"},
            separators=(",", ":"),
        ),
        "MIN_REVIEWS": str(DRIFT.min_reviews),
        "PERIOD_HOURS": str(period_hours(DRIFT.schedule)),
        "POWERTOOLS_SERVICE_NAME": "drift-job",
    }
    (rule,) = _of_type(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == DRIFT.schedule
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("DriftJobFunction")


def test_the_role_reads_captures_and_baselines_and_writes_only_its_namespace(two_variants):
    template, _ = two_variants
    (policy,) = [
        p for k, p in _of_type(template, "AWS::IAM::Policy").items() if k.startswith("DriftJob")
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = {json.dumps(s["Action"]): s for s in statements}
    capture = actions[json.dumps(["s3:GetObject*", "s3:GetBucket*", "s3:List*"])]
    assert json.dumps(capture["Resource"][1]).endswith(
        ':s3:::models-bucket/data-capture/ep-sentiment/*"]]}'
    )
    baselines = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert sorted(json.dumps(s["Resource"]).split(":s3:::")[1] for s in baselines) == [
        'asset-bucket/abc.tar.gz"]]}',
        'models-bucket/training-jobs/j/model.tar.gz"]]}',
    ]
    assert actions['"kms:Decrypt"']["Resource"]["Fn::GetAtt"][0].startswith("Key")
    (metrics,) = [s for s in statements if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Resource"] == "*"
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}
    granted = {a for s in statements for a in _as_list(s["Action"])}
    # Logs to its group, the capture reads, two artifacts, decrypt, metrics: nothing else.
    assert len(statements) == 6
    assert not {a for a in granted if a.startswith(("s3:Put", "s3:Delete", "cloudwatch:"))} - {
        "cloudwatch:PutMetricData"
    }


def _alarms(template: dict) -> dict[str, dict]:
    return {
        a["Properties"]["AlarmName"].removeprefix("p-s-"): a["Properties"]
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_follow_the_drift_thresholds_and_read_the_worst_variant(two_variants):
    alarms = _alarms(two_variants[0])
    expected = {
        "DriftScorePsiWarning": ("SEV3", DRIFT.psi_warning, SCORE_PSI),
        "DriftScorePsiAlarm": ("SEV2", DRIFT.psi_alarm, SCORE_PSI),
        "DriftLengthPsiWarning": ("SEV3", DRIFT.psi_warning, LENGTH_PSI),
        "DriftLengthPsiAlarm": ("SEV2", DRIFT.psi_alarm, LENGTH_PSI),
        "DriftOovRate": ("SEV2", DRIFT.oov_rate_alarm, OOV_RATE),
    }
    assert set(alarms) == {*expected, "DriftJobFailed"}
    for name, (severity, threshold, metric) in expected.items():
        alarm = alarms[name]
        assert alarm["AlarmDescription"].startswith(f"{severity}: "), name
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
            threshold,
            "GreaterThanThreshold",
        )
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 1
        expression, *variants = alarm["Metrics"]
        assert expression["Expression"] == "MAX([v0, v1])"
        for query in variants:
            stat = query["MetricStat"]
            assert (stat["Period"], stat["Stat"]) == (86400, "Maximum")
            assert stat["Metric"]["Namespace"] == NAMESPACE
            assert stat["Metric"]["MetricName"] == metric
        assert [v["MetricStat"]["Metric"]["Dimensions"] for v in variants] == [
            [
                {"Name": "EndpointName", "Value": "ep-sentiment"},
                {"Name": "VariantName", "Value": variant},
            ]
            for variant in TWO_VARIANTS
        ]
    failed = alarms["DriftJobFailed"]
    assert failed["AlarmDescription"].startswith("SEV2: ")
    assert failed["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "Errors"


def test_one_variant_alarms_on_its_own_metric(tmp_path, disposable):
    template, rows = _synth(tmp_path, disposable, {"AllTraffic": "assets/abc.tar.gz"})
    (query,) = _alarms(template)["DriftOovRate"]["Metrics"]  # no MAX over one variant
    metric = query["MetricStat"]["Metric"]
    assert metric["MetricName"] == OOV_RATE and query["MetricStat"]["Stat"] == "Maximum"
    assert metric["Dimensions"] == [
        {"Name": "EndpointName", "Value": "ep-sentiment"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    (row,) = rows
    assert row.title == "Drift" and len(row.alarms) == 6 and row.widgets


def test_names_match_what_lambda_drift_publishes(monkeypatch):
    monkeypatch.syspath_prepend(str(drift_job.DRIFT_LAMBDA))
    import drift_metrics

    assert drift_metrics.NAMESPACE == NAMESPACE
    assert {SCORE_PSI, LENGTH_PSI, OOV_RATE, REVIEWS, *SHARES} == set(drift_metrics.METRIC_UNITS)


@pytest.mark.parametrize(
    ("schedule", "hours"),
    [("rate(1 day)", 24), ("rate(6 hours)", 6), ("rate(30 minutes)", 1), ("cron(0 5 * * ? *)", 24)],
)
def test_a_run_reads_the_hours_since_the_previous_run(schedule, hours):
    assert period_hours(schedule) == hours
