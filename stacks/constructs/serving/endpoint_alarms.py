"""CloudWatch alarms for one SageMaker endpoint variant.

Descriptions start with a severity: SEV1 (callers see failures), SEV2 (callers wait),
SEV3 (a trend to watch).

The CDK has no L2 for SageMaker endpoints and so no metrics helpers: this construct
names the metrics once (namespace, dimensions, statistics, units) and builds the alarms
an on-call engineer needs. It is used three times: by the serving stack, whose blue/green
deployments roll back on these alarms and whose traffic shift is gated on them, and by the
monitoring stack's dashboard. A named variant gets a set of its own; a shadow variant's
alarms are SEV3, because a shadow answers nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

NAMESPACE = "AWS/SageMaker"
# The variant of an endpoint without named variants (SageMaker's default name).
SINGLE_VARIANT = "AllTraffic"
_MICROSECONDS_PER_MS = 1000


@dataclass(frozen=True)
class EndpointAlarmThresholds:
    invocation_5xx_errors: int
    model_latency_p99_ms: float
    overhead_latency_p99_ms: float
    cold_starts: int
    period: Duration
    evaluation_periods: int


class SageMakerEndpointAlarms(Construct):
    """5xx errors, model and overhead latency p99 and, when serverless, cold starts."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        serverless: bool,
        thresholds: EndpointAlarmThresholds,
        shadow: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.shadow = shadow
        self._period = thresholds.period
        evaluation = thresholds.evaluation_periods
        subject = endpoint_name
        if variant_name != SINGLE_VARIANT:
            subject += f"/{variant_name}" + (" (shadow: answers nobody)" if shadow else "")

        def sev(severity: str) -> str:
            return "SEV3" if shadow else severity

        gte = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        self.invocation_5xx = self._alarm(
            "Invocation5xx",
            "Invocation5XXErrors",
            "Sum",
            f"{sev('SEV1')}: {subject}: the model container answered 5xx",
            thresholds.invocation_5xx_errors,
            comparison=gte,
            evaluation_periods=1,
        )
        # SageMaker reports latencies in microseconds; thresholds are in milliseconds.
        self.model_latency = self._alarm(
            "ModelLatencyP99",
            "ModelLatency",
            "p99",
            f"{sev('SEV2')}: {subject}: p99 time inside the model is high",
            thresholds.model_latency_p99_ms * _MICROSECONDS_PER_MS,
            evaluation_periods=evaluation,
        )
        self.overhead_latency = self._alarm(
            "OverheadLatencyP99",
            "OverheadLatency",
            "p99",
            f"{sev('SEV3')}: {subject}: p99 SageMaker overhead is high",
            thresholds.overhead_latency_p99_ms * _MICROSECONDS_PER_MS,
            evaluation_periods=evaluation,
        )
        self.cold_starts: cloudwatch.Alarm | None = None
        if serverless:
            # Each serverless cold start reports one ModelSetupTime sample.
            self.cold_starts = self._alarm(
                "ColdStarts",
                "ModelSetupTime",
                "SampleCount",
                f"SEV3: {subject}: many serverless cold starts; consider provisioned concurrency",
                thresholds.cold_starts,
                evaluation_periods=evaluation,
            )

    def _alarm(
        self,
        construct_id: str,
        metric_name: str,
        statistic: str,
        description: str,
        threshold: float,
        *,
        evaluation_periods: int,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        ),
    ) -> cloudwatch.Alarm:
        return self.metric(metric_name, statistic).create_alarm(
            self,
            construct_id,
            alarm_description=description,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            # No traffic is not a failure: an idle endpoint must not page anyone.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": self.variant_name},
            statistic=statistic,
            period=self._period,
        )

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        found = [self.invocation_5xx, self.model_latency, self.overhead_latency]
        return found + ([self.cold_starts] if self.cold_starts else [])

    @property
    def rollback_alarms(self) -> list[cloudwatch.Alarm]:
        """What a blue/green deployment watches before it shifts all traffic."""
        return [self.invocation_5xx, self.model_latency]
