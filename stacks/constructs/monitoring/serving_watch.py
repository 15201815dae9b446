"""The prediction path: REST API, predict Lambda and what answers behind it.

API Gateway and Lambda alarms come from cdk-monitoring-constructs. The library has no
SageMaker module, so the endpoint's alarms stay in `SageMakerEndpointAlarms`, built beside
the endpoint because blue/green rollbacks and the traffic shift watch them too; they, the
Comprehend backend's alarms and the variant experiment's are in `variant_watch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cdk_monitoring_constructs as mon
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from stacks.config import AlarmThresholds
from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, ComponentWatch, watch
from stacks.constructs.monitoring.variant_watch import watch_backend
from stacks.outputs import Serving


@dataclass(frozen=True)
class ServingWatch:
    row: ComponentWatch
    # What the composite "prediction path unhealthy" alarm joins, and how its page says so.
    prediction_path: tuple[cloudwatch.IAlarm, ...]
    prediction_path_description: str


def watch_serving(
    facade: mon.MonitoringFacade,
    *,
    style: AlarmStyle,
    thresholds: AlarmThresholds,
    reserved_concurrency: int | None,
    backend: str,
    serving: Serving,
    topic: sns.ITopic,
) -> ServingWatch:
    api = _api(facade, style, thresholds, serving.api)
    function = _function(facade, style, thresholds, serving.function, reserved_concurrency)
    # The SEV1s: API 5xx rate and Lambda errors.
    pages = [
        a.alarm for s in (api, function) for a in s.created_alarms() if a.disambiguator == "SEV1"
    ]
    # Behind the Lambda: the endpoint's variants, Comprehend, or nothing yet (no model).
    behind = watch_backend(
        facade, style=style, thresholds=thresholds, backend=backend, serving=serving, topic=topic
    )
    row = watch(facade, "Serve", api, function, *behind.segments)
    parts = ["API 5xx", "Lambda errors"]
    if behind.prediction_path:
        parts.append(
            "Amazon Comprehend errors"
            if backend == "comprehend"
            else "an endpoint variant failing or slow"
        )
    return ServingWatch(
        row=ComponentWatch(row.title, (*row.alarms, *behind.own_alarms), row.widgets),
        prediction_path=(*pages, *behind.prediction_path),
        prediction_path_description=(
            f"SEV1: the prediction path is unhealthy: {', '.join(parts[:-1])} or {parts[-1]}"
        ),
    )


def _api(
    facade: mon.MonitoringFacade, style: AlarmStyle, t: AlarmThresholds, api: apigw.RestApi
) -> mon.ApiGatewayMonitoring:
    # A rate, not a count: ten errors mean little at peak and much at night. The average of
    # API Gateway's 0/1 error metrics is that rate, as a fraction of requests.
    return mon.ApiGatewayMonitoring(
        facade,
        api=api,
        api_stage=api.deployment_stage.stage_name,
        alarm_friendly_name="Api",
        human_readable_name="Prediction API",
        add5_xx_fault_rate_alarm={
            "SEV1": mon.ErrorRateThreshold(
                max_error_rate=t.api_5xx_rate_percent / 100,
                **style.options(
                    "Api5xxRate",
                    "SEV1",
                    f"API answers 5xx to callers (> {t.api_5xx_rate_percent} %)",
                ),
            )
        },
        add4_xx_error_rate_alarm={
            "SEV3": mon.ErrorRateThreshold(
                max_error_rate=t.api_4xx_rate_percent / 100,
                **style.options(
                    "Api4xxRate",
                    "SEV3",
                    "Many callers get 4xx (bad input, keys or throttling) "
                    f"(> {t.api_4xx_rate_percent} %)",
                ),
            )
        },
        add_latency_p99_alarm={
            "SEV2": mon.LatencyThreshold(
                max_latency=Duration.millis(t.api_p99_latency_ms),
                **style.options("ApiLatencyP99", "SEV2", "API p99 latency is high"),
            )
        },
    )


def _function(
    facade: mon.MonitoringFacade,
    style: AlarmStyle,
    t: AlarmThresholds,
    function: lambda_.IFunction,
    reserved: int | None,
) -> mon.LambdaFunctionMonitoring:
    near_limit = None
    if reserved:
        near_limit = {
            "SEV2": mon.RunningTaskCountThreshold(
                max_running_tasks=reserved * t.lambda_concurrency_percent_of_reserved / 100,
                **style.options(
                    "LambdaConcurrencyNearLimit",
                    "SEV2",
                    f"The predict Lambda nears its reserved concurrency of {reserved}",
                ),
            )
        }
    return mon.LambdaFunctionMonitoring(
        facade,
        lambda_function=function,
        alarm_friendly_name="Predict",
        human_readable_name="Predict Lambda",
        is_iterator=False,
        add_fault_count_alarm={
            "SEV1": mon.ErrorCountThreshold(
                max_error_count=t.lambda_errors,
                **style.options(
                    "LambdaErrors",
                    "SEV1",
                    "The predict Lambda raised errors",
                    at_least=True,
                    immediate=True,
                ),
            )
        },
        add_throttles_count_alarm={
            "SEV2": mon.ErrorCountThreshold(
                max_error_count=t.lambda_throttles,
                **style.options(
                    "LambdaThrottles", "SEV2", "The predict Lambda is throttled", at_least=True
                ),
            )
        },
        add_latency_p99_alarm={
            "SEV2": mon.LatencyThreshold(
                max_latency=Duration.millis(t.lambda_p99_duration_ms),
                **style.options(
                    "LambdaDurationP99", "SEV2", "The predict Lambda p99 duration is high"
                ),
            )
        },
        add_concurrent_executions_count_alarm=near_limit,
    )
