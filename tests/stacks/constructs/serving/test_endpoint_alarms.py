"""Endpoint alarms: SageMaker's microseconds, cold starts only where they exist."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk.assertions import Template

from stacks.constructs.serving.endpoint_alarms import (
    EndpointAlarmThresholds,
    SageMakerEndpointAlarms,
)

THRESHOLDS = EndpointAlarmThresholds(
    invocation_5xx_errors=3,
    model_latency_p99_ms=250,
    overhead_latency_p99_ms=80,
    cold_starts=10,
    period=Duration.minutes(5),
    evaluation_periods=2,
)


def _alarms(stack, *, serverless: bool, shadow: bool = False) -> dict[str, dict]:
    SageMakerEndpointAlarms(
        stack,
        "Alarms",
        endpoint_name="ep",
        variant_name="v",
        serverless=serverless,
        thresholds=THRESHOLDS,
        shadow=shadow,
    )
    found = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    return {a["Properties"]["MetricName"]: a["Properties"] for a in found.values()}


def test_latency_thresholds_are_converted_to_microseconds(stack):
    alarms = _alarms(stack, serverless=False)
    assert alarms["ModelLatency"]["Threshold"] == 250_000
    assert alarms["OverheadLatency"]["Threshold"] == 80_000
    assert alarms["Invocation5XXErrors"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarms["Invocation5XXErrors"]["EvaluationPeriods"] == 1
    assert {d["Name"]: d["Value"] for d in alarms["ModelLatency"]["Dimensions"]} == {
        "EndpointName": "ep",
        "VariantName": "v",
    }
    assert "ModelSetupTime" not in alarms
    assert all(a["TreatMissingData"] == "notBreaching" for a in alarms.values())


def test_serverless_endpoints_also_watch_cold_starts(stack):
    alarms = _alarms(stack, serverless=True)
    assert alarms["ModelSetupTime"]["Threshold"] == 10
    assert alarms["ModelSetupTime"]["Statistic"] == "SampleCount"


def test_a_named_variants_alarms_name_it(stack):
    alarms = _alarms(stack, serverless=False)
    assert alarms["Invocation5XXErrors"]["AlarmDescription"].startswith("SEV1: ep/v: ")
    assert alarms["ModelLatency"]["AlarmDescription"].startswith("SEV2: ep/v: ")


def test_a_shadow_variants_alarms_are_sev3(stack):
    alarms = _alarms(stack, serverless=False, shadow=True)
    for alarm in alarms.values():
        assert alarm["AlarmDescription"].startswith("SEV3: ep/v (shadow: answers nobody): ")
