"""Operations for batch scoring and drift: alarms to the topic, dashboard rows, and no
drift job where nothing is captured."""

from __future__ import annotations

import json

import pytest


def _monitoring_alarms(stage) -> dict[str, dict]:
    prefix = f"{stage.config.project}-{stage.config.stage}-"
    return {
        a["Properties"]["AlarmName"].removeprefix(prefix): a["Properties"]
        for a in stage.template("monitoring").find_resources("AWS::CloudWatch::Alarm").values()
    }


def _topic_output(stage) -> str:
    stack = stage.stack("notifications")
    return stack.get_logical_id(stack.outputs.topic.node.default_child)


@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_failed_and_timed_out_batch_runs_alarm_to_the_topic(synthesised, stage_name):
    stage = synthesised[stage_name]
    alarms = _monitoring_alarms(stage)
    for name, metric in (
        ("BatchScoringFailed", "ExecutionsFailed"),
        ("BatchScoringTimedOut", "ExecutionsTimedOut"),
    ):
        alarm = alarms[name]
        assert alarm["AlarmDescription"].startswith("SEV2: ")
        (query,) = alarm["Metrics"]
        stat = query["MetricStat"]
        assert stat["Metric"]["MetricName"] == metric and stat["Stat"] == "Sum"
        assert "BatchScoringStateMachine" in json.dumps(stat["Metric"]["Dimensions"])
        assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (1, 1)
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        for actions in ("AlarmActions", "OKActions"):
            assert _topic_output(stage) in json.dumps(alarm[actions])


def _dashboard(stage) -> dict:
    dashboards = stage.template("monitoring").find_resources("AWS::CloudWatch::Dashboard")
    (dashboard,) = dashboards.values()
    return dashboard["Properties"]


def _dashboard_rows(stage) -> list[str]:
    body = _dashboard(stage)["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    widgets = json.loads("".join(p if isinstance(p, str) else "X" for p in parts))["widgets"]
    texts = [w["properties"].get("markdown", "") for w in widgets if w["type"] == "text"]
    return [t for t in texts if t.startswith("## ")]


def test_the_prod_dashboard_has_a_batch_scoring_row(prod, dev):
    assert "## Batch scoring" in _dashboard_rows(prod)
    assert "BatchScoringFailed" in json.dumps(_dashboard(prod)["DashboardBody"])
    assert dev.template("monitoring").find_resources("AWS::CloudWatch::Dashboard") == {}


def _drift_functions(stage) -> list[dict]:
    return [
        f
        for path in stage.template_files()
        for f in json.loads(path.read_text())["Resources"].values()
        if f["Type"] == "AWS::Lambda::Function"
        and f["Properties"].get("Handler") == "drift_handler.handler"
    ]


def test_serverless_dev_captures_nothing_so_it_has_no_drift_job(dev):
    assert dev.config.serving.mode == "serverless"
    assert dev.stack("serving").outputs.drift_source is None
    assert _drift_functions(dev) == []
    assert not any(name.startswith("Drift") for name in _monitoring_alarms(dev))


def test_prod_measures_the_drift_of_its_captured_traffic(prod):
    source = prod.stack("serving").outputs.drift_source
    assert source is not None, "a provisioned stage with data capture publishes its source"
    (function,) = _drift_functions(prod)
    assert function["Properties"]["Environment"]["Variables"]["ENDPOINT_NAME"] == (
        source.endpoint_name
    )
    alarms = _monitoring_alarms(prod)
    drift = prod.config.monitoring.drift
    assert alarms["DriftScorePsiWarning"]["Threshold"] == drift.psi_warning
    assert alarms["DriftScorePsiAlarm"]["Threshold"] == drift.psi_alarm
    assert alarms["DriftOovRate"]["Threshold"] == drift.oov_rate_alarm
    assert "## Drift" in _dashboard_rows(prod)
