"""Serving: the SageMaker endpoint, the predict Lambda, the REST API and the web page."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from lake_layout import DATA_CAPTURE_PREFIX, TRAINING_OUTPUT_PREFIX
from stacks import nag
from stacks.config import ServingConfig
from stacks.constructs.serving.endpoint_alarms import EndpointAlarmThresholds
from stacks.constructs.serving.model_role import ENDPOINT_LOG_GROUP, model_role
from stacks.constructs.serving.predict_function import PredictFunction
from stacks.constructs.serving.prediction_api import PredictionApi
from stacks.constructs.serving.sentiment_endpoint import SentimentEndpoint
from stacks.constructs.serving.served_model import served_model
from stacks.constructs.serving.web_site import WebSite
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import DataLake, Serving

_MODEL_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (TRAINING_OUTPUT_PREFIX, DATA_CAPTURE_PREFIX),
        "Model artifacts are read and captured requests written under job- and "
        "date-named keys; limited to one prefix each.",
    ),
    **nag.asset_bucket("CDK's asset bucket: the endpoint loads the bootstrap model from it."),
    rf":log-group:{ENDPOINT_LOG_GROUP}\*$": (
        "SageMaker names endpoint log streams per instance under this prefix."
    ),
    **nag.ECR_AUTHORIZATION_TOKEN,
}


class ServingStack(Stack):
    outputs: Serving

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        lake: DataLake,
        sklearn_framework_version: str,
        bootstrap_model: Path | None,
        alarm_thresholds: EndpointAlarmThresholds,
        retention: Retention,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        endpoint, model_version = _sentiment_endpoint(
            self,
            config=config,
            lake=lake,
            sklearn_framework_version=sklearn_framework_version,
            bootstrap_model=bootstrap_model,
            alarm_thresholds=alarm_thresholds,
        )
        web = WebSite(self, "Web", access_logs_bucket=lake.buckets.access_logs, retention=retention)
        predict = PredictFunction(
            self,
            "Predict",
            config=config,
            endpoint_name=endpoint.endpoint.attr_endpoint_name if endpoint else None,
            endpoint_arn=endpoint.endpoint_arn if endpoint else None,
            model_version=model_version,
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
        CfnOutput(self, "ApiUrl", value=api.url)
        CfnOutput(self, "WebUrl", value=web.origin)
        if endpoint is not None:
            CfnOutput(self, "EndpointName", value=endpoint.endpoint.attr_endpoint_name)
        if api.api_key is not None:
            CfnOutput(
                self,
                "ApiKeyId",
                value=api.api_key.key_id,
                description="aws apigateway get-api-key --include-value --api-key <id>",
            )
        _acknowledge(self, config, predict.role, api, web)
        self.outputs = Serving(
            endpoint_alarms=endpoint.alarms if endpoint else None,
            function=predict.function,
            api=api.api,
        )


# Until a package is approved (and without a bootstrap model) a stage serves no model:
# the API, page and Lambda deploy, and /health and /predict answer 503.
NO_MODEL = "none"


def _sentiment_endpoint(
    stack: Stack,
    *,
    config: ServingConfig,
    lake: DataLake,
    sklearn_framework_version: str,
    bootstrap_model: Path | None,
    alarm_thresholds: EndpointAlarmThresholds,
) -> tuple[SentimentEndpoint | None, str]:
    """The endpoint and the version it serves, or (None, "none") without a model."""
    if not config.model_package_arn and bootstrap_model is None:
        return None, NO_MODEL
    # The same image family the training job used, resolved in this stack's region.
    image = SklearnImage(stack, "SklearnImage", version=sklearn_framework_version)
    role = model_role(stack, "ModelRole", lake=lake, image=image)
    model = served_model(
        stack, config=config, image=image, role=role, bootstrap_model=bootstrap_model
    )
    assert model is not None  # a package or a bootstrap artifact was given
    endpoint = SentimentEndpoint(
        stack,
        "Sentiment",
        config=config,
        model_role=role,
        container=model.container,
        key=lake.key,
        capture_bucket=lake.buckets.models,
        alarm_thresholds=alarm_thresholds,
    )
    nag.acknowledge_policy_wildcards(role, _MODEL_ROLE_WILDCARDS)
    return endpoint, model.version


def _acknowledge(
    stack: Stack,
    config: ServingConfig,
    function_role: iam.Role,
    api: PredictionApi,
    web: WebSite,
) -> None:
    nag.acknowledge_policy_wildcards(
        function_role,
        {
            r"^Resource::\*$": "X-Ray's PutTraceSegments and PutTelemetryRecords support "
            "no resource-level permissions.",
        },
    )
    if config.auth == "api_key":
        for method in (api.predict_method, api.health_method):
            nag.acknowledge(
                method,
                "AwsSolutions-APIG4",
                "no authorizer, on purpose: serving.auth=api_key makes this a public demo "
                "API. Its API key is not authentication (the public page hands it out); it "
                "only selects the usage plan that throttles and caps requests per day. A "
                "stage whose callers are private sets serving.auth=iam (SigV4).",
            )
            nag.acknowledge(
                method,
                "AwsSolutions-COG4",
                "no Cognito authorizer: serving.auth=api_key serves anonymous callers of a "
                "public demo, and a stage with private callers uses IAM (serving.auth=iam).",
            )
    if not config.waf_enabled:
        nag.acknowledge(
            api.api.deployment_stage,
            "AwsSolutions-APIG3",
            "no WAF in this stage (serving.waf_enabled=false) to keep idle cost near zero; "
            "stage throttling and the usage plan's daily quota bound abuse. Prod enables it.",
        )
    _acknowledge_web_page(web)
    nag.acknowledge_cdk_helpers(
        stack,
        id_prefix="Custom::CDKBucketDeployment",
        reason="CDK's BucketDeployment handler: the CDK pins its Python runtime; its role "
        "is the web page's PublishRole, granted per object and per distribution.",
        rules={"AwsSolutions-L1": None},
    )
    nag.acknowledge_policy_wildcards(
        web.publish_role,
        {
            **nag.BUCKET_GRANT_ACTIONS,
            r"^Resource::<WebContent\w+\.Arn>/\*$": (
                "prune=true replaces and deletes any object of the page's own bucket, "
                "whose keys are the page's files."
            ),
        },
    )


def _acknowledge_web_page(web: WebSite) -> None:
    for rule, reason in (
        ("AwsSolutions-CFR1", "A public demo page for a public API: no geo restriction is wanted."),
        (
            "AwsSolutions-CFR2",
            "Static page only; the API it calls has its own WAF option and throttling.",
        ),
        (
            "AwsSolutions-CFR4",
            "The default CloudFront certificate cannot pin TLS 1.2; attach a custom domain "
            "and certificate to enforce it.",
        ),
    ):
        nag.acknowledge(web.distribution, rule, reason)
