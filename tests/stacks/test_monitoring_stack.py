"""Operations: every alarm notifies, thresholds follow config, nothing goes unwatched."""

from __future__ import annotations

import json

import pytest

WATCHED_TYPES = (
    "AWS::Lambda::Function",
    "AWS::ApiGateway::RestApi",
    "AWS::SageMaker::Endpoint",
    "AWS::Glue::Job",
    "AWS::StepFunctions::StateMachine",
)


def _templates(stage) -> dict[str, dict]:
    return {f.name: json.loads(f.read_text()) for f in stage.template_files()}


def _resources(stage, resource_type: str) -> dict[str, dict]:
    found = {}
    for name, template in _templates(stage).items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == resource_type:
                found[f"{name}:{logical_id}"] = resource
    return found


def _alarms(stage) -> dict[str, dict]:
    return {
        **_resources(stage, "AWS::CloudWatch::Alarm"),
        **_resources(stage, "AWS::CloudWatch::CompositeAlarm"),
    }


def _is_cdk_custom_resource_handler(logical_id: str, resource: dict) -> bool:
    # Functions the CDK adds to back custom resources run only during deployments.
    return logical_id.startswith("Custom") or "BucketNotificationsHandler" in logical_id


def _topic_ref(stage) -> str:
    stack = stage.stack("notifications")
    return stack.get_logical_id(stack.outputs.topic.node.default_child)


@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_every_alarm_notifies_the_topic_on_alarm_and_ok(synthesised, stage_name):
    stage = synthesised[stage_name]
    topic = _topic_ref(stage)
    alarms = _alarms(stage)
    assert len(alarms) >= 15
    for key, alarm in alarms.items():
        props = alarm["Properties"]
        assert topic in json.dumps(props.get("AlarmActions")), key
        assert topic in json.dumps(props.get("OKActions")), key
        assert props["AlarmDescription"].startswith(("SEV1: ", "SEV2: ", "SEV3: ")), key


@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_no_data_is_never_a_breach(synthesised, stage_name):
    # An idle API or a day without pipeline runs must not page anyone.
    for key, alarm in _resources(synthesised[stage_name], "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", key


@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_monitoring_alarms_are_named_for_project_and_stage(synthesised, stage_name):
    stage = synthesised[stage_name]
    prefix = f"{stage.config.project}-{stage.config.stage}-"
    template = stage.template("monitoring")
    for kind in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
        for key, alarm in template.find_resources(kind).items():
            name = alarm["Properties"]["AlarmName"]
            assert isinstance(name, str) and name.startswith(prefix), key
    composite = _named(stage, "PredictionPathUnhealthy", "AWS::CloudWatch::CompositeAlarm")
    assert composite["AlarmDescription"] == (
        "SEV1: the prediction path is unhealthy: API 5xx, Lambda errors or an endpoint "
        "variant failing or slow"
    )


@pytest.mark.parametrize("stage_name", ["dev", "prod"])
def test_every_runtime_resource_has_an_alarm(synthesised, stage_name):
    stage = synthesised[stage_name]
    alarm_text = [json.dumps(a["Properties"]) for a in _alarms(stage).values()]
    rules = _resources(stage, "AWS::Events::Rule")
    unwatched = []
    for resource_type in WATCHED_TYPES:
        for key, resource in _resources(stage, resource_type).items():
            logical_id = key.split(":", 1)[1]
            if _is_cdk_custom_resource_handler(logical_id, resource):
                continue
            identifiers = {logical_id}
            props = resource["Properties"]
            for name_key in ("EndpointName", "Name"):
                if isinstance(props.get(name_key), str):
                    identifiers.add(f'"{props[name_key]}"')
            # Glue state changes reach CloudWatch through EventBridge rules on the job.
            for rule_key, rule in rules.items():
                if logical_id in json.dumps(rule["Properties"].get("EventPattern", {})):
                    identifiers.add(rule_key.split(":", 1)[1])
            if not any(ident in text for text in alarm_text for ident in identifiers):
                unwatched.append(key)
    assert unwatched == []


def _named(stage, name: str, kind: str = "AWS::CloudWatch::Alarm") -> dict:
    """A monitoring alarm by its runbook name (`<project>-<stage>-<name>`)."""
    full_name = f"{stage.config.project}-{stage.config.stage}-{name}"
    found = stage.template("monitoring").find_resources(
        kind, {"Properties": {"AlarmName": full_name}}
    )
    (alarm,) = found.values()
    return alarm["Properties"]


def _metric(alarm: dict) -> dict:
    """The alarm's one metric, whether CloudFormation holds it flat or as a Metrics query."""
    if "Metrics" not in alarm:
        statistic = alarm.get("Statistic") or alarm["ExtendedStatistic"]
        return {**alarm, "Stat": statistic}
    (query,) = alarm["Metrics"]
    stat = query["MetricStat"]
    return {**stat["Metric"], "Period": stat["Period"], "Stat": stat["Stat"]}


def test_thresholds_come_from_stage_config(synthesised):
    for stage in synthesised.values():
        t = stage.config.monitoring.thresholds
        assert _named(stage, "ApiLatencyP99")["Threshold"] == t.api_p99_latency_ms
        assert _named(stage, "LambdaErrors")["Threshold"] == t.lambda_errors
        assert _named(stage, "LambdaThrottles")["Threshold"] == t.lambda_throttles
        assert _named(stage, "LambdaDurationP99")["Threshold"] == t.lambda_p99_duration_ms
        assert _named(stage, "PipelineFailed")["Threshold"] == t.pipeline_failed_executions
        latency = _named(stage, "ApiLatencyP99")
        assert latency["EvaluationPeriods"] == t.evaluation_periods
        assert latency["DatapointsToAlarm"] == t.evaluation_periods
        assert _metric(latency)["Period"] == t.period_minutes * 60
        assert _metric(latency)["Stat"] == "p99"
        # Failures alarm on their first occurrence.
        errors = _named(stage, "LambdaErrors")
        assert errors["EvaluationPeriods"] == 1
        assert errors["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_api_error_alarms_watch_the_share_of_requests_not_a_count(synthesised):
    # The average of API Gateway's 0/1 error metrics is the share of failed requests:
    # a threshold of N % is the fraction N / 100 of that average.
    for stage in synthesised.values():
        t = stage.config.monitoring.thresholds
        for name, metric_name, percent in (
            ("Api5xxRate", "5XXError", t.api_5xx_rate_percent),
            ("Api4xxRate", "4XXError", t.api_4xx_rate_percent),
        ):
            alarm = _named(stage, name)
            assert alarm["Threshold"] == pytest.approx(percent / 100), name
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold", name
            assert f"(> {percent} %)" in alarm["AlarmDescription"], name
            metric = _metric(alarm)
            assert (metric["Namespace"], metric["MetricName"]) == ("AWS/ApiGateway", metric_name)
            assert metric["Stat"] == "Average", name
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            # The name the RestApi really has, so the alarm watches live metrics.
            rest_api = stage.stack("serving").outputs.api
            assert dimensions["ApiName"] == rest_api.rest_api_name
            assert "Stage" in dimensions


def test_endpoint_latency_thresholds_are_converted_to_microseconds(synthesised):
    for stage in synthesised.values():
        alarms = stage.template("serving").find_resources("AWS::CloudWatch::Alarm")
        by_metric = {a["Properties"]["MetricName"]: a["Properties"] for a in alarms.values()}
        t = stage.config.monitoring.thresholds
        assert by_metric["ModelLatency"]["Threshold"] == t.endpoint_model_latency_p99_ms * 1000
        assert by_metric["OverheadLatency"]["Threshold"] == (
            t.endpoint_overhead_latency_p99_ms * 1000
        )
        assert by_metric["ModelLatency"]["ExtendedStatistic"] == "p99"
        # cold starts only exist for serverless endpoints
        assert ("ModelSetupTime" in by_metric) == (stage.config.serving.mode == "serverless")


def test_concurrency_alarm_only_where_concurrency_is_reserved(dev, prod):
    assert prod.config.serving.lambda_reserved_concurrency
    assert not dev.config.serving.lambda_reserved_concurrency
    dev_names = {
        a["Properties"]["AlarmName"]
        for a in dev.template("monitoring").find_resources("AWS::CloudWatch::Alarm").values()
    }
    assert not any(name.endswith("-LambdaConcurrencyNearLimit") for name in dev_names)
    t = prod.config.monitoring.thresholds
    expected = prod.config.serving.lambda_reserved_concurrency * (
        t.lambda_concurrency_percent_of_reserved / 100
    )
    alarm = _named(prod, "LambdaConcurrencyNearLimit")
    assert alarm["Threshold"] == expected
    metric = _metric(alarm)
    assert (metric["MetricName"], metric["Stat"]) == ("ConcurrentExecutions", "Maximum")


def test_composite_alarm_joins_the_prediction_path(dev):
    composite = dev.template("monitoring").find_resources("AWS::CloudWatch::CompositeAlarm")
    (props,) = [c["Properties"] for c in composite.values()]
    rule = json.dumps(props["AlarmRule"])
    assert rule.count("ALARM(") == 4 and " OR " in rule
    monitoring, serving = dev.stack("monitoring"), dev.stack("serving")
    endpoint = serving.outputs.endpoint_alarms
    for name in ("Api5xxRate", "LambdaErrors"):
        alarm = next(a for a in monitoring.alarms if a.node.id.endswith(f"-{name}"))
        assert monitoring.get_logical_id(alarm.node.default_child) in rule, name
    for alarm in (endpoint.invocation_5xx, endpoint.model_latency):
        assert serving.get_logical_id(alarm.node.default_child) in rule, alarm.node.id


def test_glue_failures_timeouts_and_quality_are_alarmed(dev):
    rules = dev.template("monitoring").find_resources("AWS::Events::Rule")
    quality = [r for r in rules.values() if "aws.glue-dataquality" in json.dumps(r)]
    assert len(quality) == 1
    assert quality[0]["Properties"]["EventPattern"]["detail"]["state"] == ["FAILED"]
    etl_rules = dev.template("etl").find_resources("AWS::Events::Rule")
    states = {tuple(r["Properties"]["EventPattern"]["detail"]["state"]) for r in etl_rules.values()}
    assert {("FAILED",), ("TIMEOUT",)} <= states


def test_dashboard_has_alarm_states_on_top_and_a_widget_per_component(dev, prod):
    # A stage chooses: dev saves the $3 a month, prod keeps it.
    assert not dev.config.monitoring.dashboard and prod.config.monitoring.dashboard
    assert _resources(dev, "AWS::CloudWatch::Dashboard") == {}
    dashboards = _resources(prod, "AWS::CloudWatch::Dashboard")
    # One dashboard for the whole platform: each costs $3 a month.
    (dashboard,) = dashboards.values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = "".join(p if isinstance(p, str) else "X" for p in parts)
    widgets = json.loads(text)["widgets"]
    assert widgets[0]["type"] == "alarm"
    for namespace in ("Glue", "AWS/States", "AWS/ApiGateway", "AWS/Lambda", "AWS/SageMaker"):
        assert f'"{namespace}"' in text, namespace
    texts = [w["properties"].get("markdown", "") for w in widgets if w["type"] == "text"]
    rows = [t for t in texts if t.startswith("## ")]
    # Drift only where the endpoint captures traffic (prod here).
    assert rows == ["## Ingest → ETL", "## Train", "## Serve", "## Batch scoring", "## Drift"]
    # Under each row heading, the library's section per watched resource.
    assert len([t for t in texts if t.startswith("### ")]) >= 5


def test_budget_alerts_the_topic_at_configured_percentages(synthesised):
    for stage in synthesised.values():
        monitoring = stage.config.monitoring
        (budget,) = stage.template("monitoring").find_resources("AWS::Budgets::Budget").values()
        props = budget["Properties"]
        assert props["Budget"]["BudgetLimit"] == {
            "Amount": monitoring.monthly_budget_usd,
            "Unit": "USD",
        }
        actual = sorted(
            n["Notification"]["Threshold"]
            for n in props["NotificationsWithSubscribers"]
            if n["Notification"]["NotificationType"] == "ACTUAL"
        )
        assert actual == sorted(monitoring.budget_alert_percents)
        for notification in props["NotificationsWithSubscribers"]:
            (subscriber,) = notification["Subscribers"]
            assert subscriber["SubscriptionType"] == "SNS"


def test_topic_is_encrypted_and_budgets_may_publish(dev, prod):
    for stage, key_stack, key_name in (
        (prod, "notifications", "TopicKey"),
        (dev, "data-lake", "DataKey"),
    ):
        # prod: a key of its own; dev: the lake key (one customer key per dev stage).
        assert stage.config.monitoring.topic_key == ("dedicated" if stage is prod else "lake")
        template = stage.template("notifications")
        (topic,) = template.find_resources("AWS::SNS::Topic").values()
        assert key_name in json.dumps(topic["Properties"]["KmsMasterKeyId"])
        (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        budgets = [
            s for s in statements if s.get("Principal") == {"Service": "budgets.amazonaws.com"}
        ]
        assert budgets and budgets[0]["Condition"]["StringEquals"]["aws:SourceAccount"]
        keys = stage.template(key_stack).find_resources("AWS::KMS::Key").values()
        (key,) = [k for k in keys]
        key_statements = json.dumps(key["Properties"]["KeyPolicy"])
        assert "cloudwatch.amazonaws.com" in key_statements
        assert "budgets.amazonaws.com" in key_statements


def test_log_groups_expire_per_stage(synthesised):
    for stage in synthesised.values():
        groups = _resources(stage, "AWS::Logs::LogGroup")
        assert len(groups) >= 4
        for key, group in groups.items():
            assert group["Properties"]["RetentionInDays"] == (
                stage.config.monitoring.log_retention_days
            ), key
