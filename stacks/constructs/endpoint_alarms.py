"""CloudWatch alarms for one SageMaker endpoint variant.

Descriptions start with a severity: SEV1 (callers see failures), SEV2 (callers wait),
SEV3 (a trend to watch).

The CDK has no L2 for SageMaker endpoints and so no metrics helpers: this construct
names the metrics once (namespace, dimensions, statistics, units) and builds the alarms
an on-call engineer needs. It is used twice: by the serving stack, whose blue/green
deployments roll back on these alarms, and by the monitoring stack's dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

NAMESPACE = "AWS/SageMaker"
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self._period = thresholds.period
        evaluation = thresholds.evaluation_periods

        self.invocation_5xx = self.metric("Invocation5XXErrors", "Sum").create_alarm(
            self,
            "Invocation5xx",
            alarm_description=f"SEV1: {endpoint_name}: the model container answered 5xx",
            threshold=thresholds.invocation_5xx_errors,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        # SageMaker reports latencies in microseconds; thresholds are in milliseconds.
        self.model_latency = self.metric("ModelLatency", "p99").create_alarm(
            self,
            "ModelLatencyP99",
            alarm_description=f"SEV2: {endpoint_name}: p99 time inside the model is high",
            threshold=thresholds.model_latency_p99_ms * _MICROSECONDS_PER_MS,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.overhead_latency = self.metric("OverheadLatency", "p99").create_alarm(
            self,
            "OverheadLatencyP99",
            alarm_description=f"SEV3: {endpoint_name}: p99 SageMaker overhead is high",
            threshold=thresholds.overhead_latency_p99_ms * _MICROSECONDS_PER_MS,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.cold_starts: cloudwatch.Alarm | None = None
        if serverless:
            # Each serverless cold start reports one ModelSetupTime sample.
            self.cold_starts = self.metric("ModelSetupTime", "SampleCount").create_alarm(
                self,
                "ColdStarts",
                alarm_description=f"SEV3: {endpoint_name}: many serverless cold starts; "
                "consider provisioned concurrency",
                threshold=thresholds.cold_starts,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=evaluation,
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
