"""serving.backend: comprehend: no endpoint, Comprehend IAM only, alarms on the Lambda's
own Comprehend metrics, priced per million predictions."""

from __future__ import annotations

import json

import pytest
from serving_stages import actions, assert_clean, role_statements, serving_stage

from cost.estimate import PRICES, estimate
from stacks.constructs.monitoring.variant_watch import COMPREHEND_ERRORS, COMPREHEND_THROTTLES
from stacks.constructs.serving.predict_function import METRICS_NAMESPACE, SERVICE_NAME


@pytest.fixture(scope="module")
def comprehend(tmp_path_factory):
    return serving_stage("comprehend", tmp_path_factory)


def _predict_variables(stage) -> dict:
    stack = stage.stack("serving")
    logical_id = stack.get_logical_id(stack.outputs.function.node.default_child)
    function = stage.template("serving").find_resources("AWS::Lambda::Function")[logical_id]
    return function["Properties"]["Environment"]["Variables"]


def test_deploys_no_endpoint_model_or_model_role(comprehend):
    serving = comprehend.template("serving")
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget",
    ):
        assert serving.find_resources(resource_type) == {}, resource_type
    roles = serving.find_resources("AWS::IAM::Role")
    assert not [r for r in roles.values() if "sagemaker.amazonaws.com" in json.dumps(r)]
    assert "EndpointName" not in serving.to_json().get("Outputs", {})
    # No endpoint alarms anywhere: nothing would ever report those metrics.
    for component in ("serving", "monitoring"):
        alarms = comprehend.template(component).find_resources("AWS::CloudWatch::Alarm")
        assert "AWS/SageMaker" not in json.dumps(alarms), component


def test_lambda_calls_comprehend_with_exactly_its_two_actions(comprehend):
    variables = _predict_variables(comprehend)
    assert variables["BACKEND"] == "comprehend"
    assert "ENDPOINT_NAME" not in variables
    assert variables["VARIANTS"] == ""
    statements = role_statements(comprehend.template("serving"), "PredictRole")
    comprehend_actions = sorted(
        a for s in statements for a in actions(s) if a.startswith("comprehend:")
    )
    assert comprehend_actions == ["comprehend:BatchDetectSentiment", "comprehend:DetectSentiment"]
    for statement in statements:
        # Only services without resource-level permissions get "*".
        if statement["Resource"] == "*":
            assert all(a.split(":")[0] in {"comprehend", "xray"} for a in actions(statement))
    assert "sagemaker:" not in json.dumps(statements)


def test_the_wildcard_is_acknowledged_for_comprehend_by_name(comprehend):
    report = json.loads((comprehend.assembly_dir / "validation-report.json").read_text())
    reasons = [
        a["reason"]
        for a in report["pluginReports"][0]["suppressedViolations"]
        if "IAM5[Resource::*]" in a["ruleName"] and "/Predict/Role/" in a["acknowledgedAt"]
    ]
    (reason,) = reasons
    assert reason.startswith("Predict/Role: Comprehend's DetectSentiment and BatchDetectSentiment")
    assert_clean(comprehend)


def _monitoring_alarm(stage, name: str) -> dict:
    full_name = f"{stage.config.project}-{stage.config.stage}-{name}"
    found = stage.template("monitoring").find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": full_name}}
    )
    (alarm,) = found.values()
    return alarm["Properties"]


def test_throttles_and_errors_alarm_on_the_lambdas_emf_metrics(comprehend):
    thresholds = comprehend.config.monitoring.thresholds
    notifications = comprehend.stack("notifications")
    topic = notifications.get_logical_id(notifications.outputs.topic.node.default_child)
    for name, severity, threshold, periods in (
        (COMPREHEND_ERRORS, "SEV1", thresholds.endpoint_5xx_errors, 1),
        (COMPREHEND_THROTTLES, "SEV2", thresholds.lambda_throttles, thresholds.evaluation_periods),
    ):
        alarm = _monitoring_alarm(comprehend, name)
        (query,) = alarm["Metrics"]
        metric = query["MetricStat"]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == (METRICS_NAMESPACE, name)
        assert metric["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAME}]
        assert query["MetricStat"]["Stat"] == "Sum"
        assert alarm["AlarmDescription"].startswith(f"{severity}: ")
        assert alarm["Threshold"] == threshold
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["EvaluationPeriods"] == periods
        assert topic in json.dumps(alarm["AlarmActions"]) and topic in json.dumps(
            alarm["OKActions"]
        )


def test_comprehend_errors_join_the_prediction_path(comprehend):
    composites = comprehend.template("monitoring").find_resources("AWS::CloudWatch::CompositeAlarm")
    (composite,) = composites.values()
    rule = json.dumps(composite["Properties"]["AlarmRule"])
    # API 5xx, Lambda errors and Comprehend errors; throttles are SEV2, not a page.
    assert rule.count("ALARM(") == 3
    assert "ComprehendErrors" in rule and "ComprehendThrottles" not in rule
    # The page names what it watches: Comprehend, not an endpoint the stage does not have.
    description = composite["Properties"]["AlarmDescription"]
    assert "Amazon Comprehend errors" in description and "endpoint" not in description


def test_cost_prices_comprehend_per_review_with_its_units(comprehend):
    result = dict(estimate(comprehend.assembly_dir).per_million)
    (label,) = [name for name in result if name.startswith("Comprehend sentiment")]
    chars = PRICES["assumptions"]["comprehend_chars_per_review"]
    units = max(3, -(-chars // 100))
    assert f"({units} units" in label
    assert result[label] == pytest.approx(
        1_000_000 * units * PRICES["comprehend_sentiment_unit"]["price"]
    )
    assert not any(name.startswith("SageMaker") for name in result)
