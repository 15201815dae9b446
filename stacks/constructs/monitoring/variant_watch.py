"""What answers behind the predict Lambda: the endpoint's variants, or Amazon Comprehend,
and around a variant experiment, the traffic shift and the A/B report.

Endpoint alarms are built beside the endpoint (blue/green rollbacks and the traffic
shift's gate watch them) and only get the topic here, one set per variant. Comprehend
publishes no metrics of ours, so its alarms read the predict Lambda's own EMF metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import cdk_monitoring_constructs as mon
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns

from stacks.config import AlarmThresholds
from stacks.constructs.monitoring.alarm_conventions import GTE, AlarmStyle, Severity, notify
from stacks.constructs.serving.endpoint_alarms import SINGLE_VARIANT, SageMakerEndpointAlarms
from stacks.constructs.serving.predict_function import METRICS_NAMESPACE, SERVICE_NAME
from stacks.outputs import Serving

# The predict Lambda's EMF metrics for its Comprehend calls (namespace and `service`
# dimension as Powertools sets them): calls that failed after the SDK's retries with a
# throttling error, and calls (or BatchDetectSentiment ErrorList entries) that failed
# with any other error.
COMPREHEND_THROTTLES = "ComprehendThrottles"
COMPREHEND_ERRORS = "ComprehendErrors"


@dataclass(frozen=True)
class BackendWatch:
    segments: tuple[mon.Monitoring, ...]
    # Alarms built outside the facade (beside the endpoint), already notifying the topic.
    own_alarms: tuple[cloudwatch.IAlarm, ...]
    # What joins the composite "prediction path unhealthy" alarm.
    prediction_path: tuple[cloudwatch.IAlarm, ...]


def watch_backend(
    facade: mon.MonitoringFacade,
    *,
    style: AlarmStyle,
    thresholds: AlarmThresholds,
    backend: str,
    serving: Serving,
    topic: sns.ITopic,
) -> BackendWatch:
    if backend == "comprehend":
        comprehend = _comprehend(facade, style, thresholds)
        pages = [a.alarm for a in comprehend.created_alarms() if a.disambiguator == "SEV1"]
        return BackendWatch((comprehend,), (), tuple(pages))
    variants = (
        (serving.endpoint_alarms,) if serving.endpoint_alarms else ()
    ) + serving.variant_alarms
    own = tuple(alarm for variant in variants for alarm in variant.alarms)
    for alarm in own:
        notify(alarm, topic)
    # A shadow answers nobody: its alarms page no one through the composite.
    path = tuple(
        alarm
        for variant in variants
        if not variant.shadow
        for alarm in (variant.invocation_5xx, variant.model_latency)
    )
    segments: list[mon.Monitoring] = [_endpoint(facade, variant) for variant in variants]
    if serving.traffic_shift is not None:
        segments.append(_traffic_shift(facade, style, serving))
    if serving.ab_report is not None:
        segments.append(_ab_report(facade, style, serving))
    return BackendWatch(tuple(segments), own, path)


def _comprehend(
    facade: mon.MonitoringFacade, style: AlarmStyle, t: AlarmThresholds
) -> mon.CustomMonitoring:
    def metric(name: str, label: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"service": SERVICE_NAME},
            statistic="Sum",
            period=style.period,
            label=label,
        )

    # Comprehend takes the endpoint's place, so it takes its error threshold; throttling
    # is the Lambda's kind of trouble and takes the Lambda's throttle threshold.
    errors = style.custom_alarm(
        metric(COMPREHEND_ERRORS, "Failed Comprehend calls"),
        name=COMPREHEND_ERRORS,
        severity="SEV1",
        description="Amazon Comprehend calls failed (callers got errors)",
        threshold=t.endpoint_5xx_errors,
    )
    throttles = mon.CustomMetricWithAlarm(
        metric=metric(COMPREHEND_THROTTLES, "Throttled Comprehend calls"),
        alarm_friendly_name=COMPREHEND_THROTTLES,
        add_alarm={
            "SEV2": mon.CustomThreshold(
                threshold=t.lambda_throttles,
                comparison_operator=GTE,
                **style.options(
                    COMPREHEND_THROTTLES,
                    "SEV2",
                    "Amazon Comprehend throttles the predict Lambda (the account's "
                    "DetectSentiment/BatchDetectSentiment rate quota)",
                    at_least=True,
                ),
            )
        },
    )
    return mon.CustomMonitoring(
        facade,
        alarm_friendly_name="Comprehend",
        human_readable_name="Amazon Comprehend (through the predict Lambda)",
        metric_groups=[
            mon.CustomMetricGroup(title="Comprehend calls failed", metrics=[errors, throttles])
        ],
    )


def _endpoint(
    facade: mon.MonitoringFacade, endpoint: SageMakerEndpointAlarms
) -> mon.CustomMonitoring:
    variant = endpoint.variant_name
    # The single variant keeps the segment it had before variants existed.
    named = variant != SINGLE_VARIANT
    return mon.CustomMonitoring(
        facade,
        alarm_friendly_name=f"Endpoint-{variant}" if named else "Endpoint",
        human_readable_name=f"SageMaker endpoint, variant {variant}"
        + (" (shadow)" if endpoint.shadow else "")
        if named
        else "SageMaker endpoint",
        metric_groups=[
            mon.CustomMetricGroup(
                title="Endpoint invocations and errors",
                metrics=[
                    endpoint.metric(name, "Sum")
                    for name in ("Invocations", "Invocation5XXErrors", "Invocation4XXErrors")
                ],
            ),
            mon.CustomMetricGroup(
                title="Endpoint latency p99 (µs)",
                metrics=[endpoint.metric(n, "p99") for n in ("ModelLatency", "OverheadLatency")],
            ),
        ],
    )


def _on_first_failure(
    style: AlarmStyle, name: str, severity: Severity, description: str
) -> dict[str, mon.ErrorCountThreshold]:
    """A failed execution or a raised error alarms at once: each one is worth a look."""
    options = style.options(name, severity, description, at_least=True, immediate=True)
    return {severity: mon.ErrorCountThreshold(max_error_count=1, **options)}


def _traffic_shift(
    facade: mon.MonitoringFacade, style: AlarmStyle, serving: Serving
) -> mon.StepFunctionMonitoring:
    assert serving.traffic_shift is not None
    return mon.StepFunctionMonitoring(
        facade,
        state_machine=serving.traffic_shift,
        alarm_friendly_name="TrafficShift",
        human_readable_name="Gated traffic shift",
        add_failed_execution_count_alarm=_on_first_failure(
            style,
            "TrafficShiftFailed",
            "SEV2",
            "A traffic shift rolled back (a variant alarm) or failed",
        ),
    )


def _ab_report(
    facade: mon.MonitoringFacade, style: AlarmStyle, serving: Serving
) -> mon.LambdaFunctionMonitoring:
    assert serving.ab_report is not None
    return mon.LambdaFunctionMonitoring(
        facade,
        lambda_function=serving.ab_report,
        alarm_friendly_name="AbReport",
        human_readable_name="A/B report Lambda",
        add_fault_count_alarm=_on_first_failure(
            style, "AbReportErrors", "SEV3", "The A/B report Lambda raised errors"
        ),
    )
