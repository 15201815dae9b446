"""Serving: the model's endpoint (or Comprehend), the predict Lambda, the REST API, the web
page and, with named variants, the A/B report and the gated traffic shift."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_sns as sns
from constructs import Construct

from lake_layout import PREDICTIONS_TABLE
from stacks.config import ServingConfig
from stacks.constructs.serving.ab_report import AbReport
from stacks.constructs.serving.endpoint_alarms import EndpointAlarmThresholds
from stacks.constructs.serving.model_endpoint import DeployedModel, deploy_model
from stacks.constructs.serving.predict_function import PredictFunction
from stacks.constructs.serving.prediction_api import PredictionApi
from stacks.constructs.serving.serving_acknowledgments import (
    acknowledge_ab_report,
    acknowledge_serving,
    acknowledge_traffic_shift,
)
from stacks.constructs.serving.traffic_shift import TrafficShift
from stacks.constructs.serving.web_site import WebSite
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group
from stacks.outputs import DataLake, Serving


class ServingStack(Stack):
    outputs: Serving

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        lake: DataLake,
        topic: sns.ITopic,
        sklearn_framework_version: str,
        bootstrap_model: Path | None,
        alarm_thresholds: EndpointAlarmThresholds,
        retention: Retention,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        model = deploy_model(
            self,
            config=config,
            lake=lake,
            sklearn_framework_version=sklearn_framework_version,
            bootstrap_model=bootstrap_model,
            alarm_thresholds=alarm_thresholds,
        )
        endpoint = model.endpoint
        web = WebSite(self, "Web", access_logs_bucket=lake.buckets.access_logs, retention=retention)
        predict = PredictFunction(
            self,
            "Predict",
            config=config,
            endpoint_name=endpoint.endpoint.attr_endpoint_name if endpoint else None,
            endpoint_arn=endpoint.endpoint_arn if endpoint else None,
            variants=model.variants,
            model_version=model.version,
            allowed_origin=web.origin,
            # Built here, not in PredictFunction, so the log group keeps its logical id.
            log_group=secure_log_group(self, "PredictLogs", key=lake.key, retention=retention),
        )
        api = PredictionApi(
            self,
            "Api",
            config=config,
            function=predict.function,
            allowed_origin=web.origin,
            key=lake.key,
            retention=retention,
        )
        web.publish(
            api_url=api.url,
            api_key_required=config.auth == "api_key",
            key=lake.key,
            retention=retention,
        )
        report = self._ab_report(model, lake, retention)
        shift = self._traffic_shift(config, model, topic, report, lake, retention)
        self._publish(model, api, web)
        acknowledge_serving(self, config, predict.role, api, web)
        self.outputs = Serving(
            endpoint_alarms=endpoint.alarms[0] if endpoint and not model.named_variants else None,
            function=predict.function,
            api=api.api,
            variant_alarms=endpoint.alarms if endpoint and model.named_variants else (),
            traffic_shift=shift.state_machine if shift else None,
            ab_report=report.function if report else None,
            drift_source=model.drift_source,
        )

    def _traffic_shift(
        self,
        config: ServingConfig,
        model: DeployedModel,
        topic: sns.ITopic,
        report: AbReport | None,
        lake: DataLake,
        retention: Retention,
    ) -> TrafficShift | None:
        """The gated shift, for an endpoint with more than one production variant."""
        if model.endpoint is None or len(model.variants) < 2:
            return None
        # Two production variants always have a report to run (see _ab_report).
        assert report is not None
        shift = TrafficShift(
            self,
            "TrafficShift",
            config=config.traffic_shift,
            endpoint=model.endpoint,
            topic=topic,
            report=report.function,
            key=lake.key,
            retention=retention,
        )
        acknowledge_traffic_shift(shift.state_machine.role)
        CfnOutput(self, "TrafficShiftArn", value=shift.state_machine.state_machine_arn)
        return shift

    def _ab_report(
        self, model: DeployedModel, lake: DataLake, retention: Retention
    ) -> AbReport | None:
        """The A/B report, for an endpoint with two variants to compare (production
        variants, or one and its shadow); a lone named variant has nothing to compare."""
        endpoint = model.endpoint
        if endpoint is None or len(endpoint.variants) < 2:
            return None
        report = AbReport(
            self,
            "AbReport",
            endpoint_name=endpoint.endpoint.attr_endpoint_name,
            variants=model.variants,
            shadow=next((v.name for v in endpoint.variants if v.shadow), None),
            predictions=lake.buckets.predictions,
            predictions_prefix=PREDICTIONS_TABLE,
            log_group=secure_log_group(self, "AbReportLogs", key=lake.key, retention=retention),
        )
        acknowledge_ab_report(report.role, predictions_prefix=PREDICTIONS_TABLE)
        CfnOutput(self, "AbReportFunction", value=report.function.function_name)
        return report

    def _publish(self, model: DeployedModel, api: PredictionApi, web: WebSite) -> None:
        CfnOutput(self, "ApiUrl", value=api.url)
        CfnOutput(self, "WebUrl", value=web.origin)
        if model.endpoint is not None:
            CfnOutput(self, "EndpointName", value=model.endpoint.endpoint.attr_endpoint_name)
        if api.api_key is not None:
            CfnOutput(
                self,
                "ApiKeyId",
                value=api.api_key.key_id,
                description="aws apigateway get-api-key --include-value --api-key <id>",
            )
