"""Serving: the SageMaker endpoint, the predict Lambda, the REST API and the web page."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.config import ConfigError, ServingConfig
from stacks.constructs.endpoint_alarms import EndpointAlarmThresholds
from stacks.constructs.framework_image import SklearnImage
from stacks.constructs.prediction_api import PredictionApi
from stacks.constructs.python_bundle import python_code
from stacks.constructs.sentiment_endpoint import DATA_CAPTURE_PREFIX, SentimentEndpoint
from stacks.constructs.training_pipeline import serving_environment
from stacks.constructs.web_site import WebSite
from stacks.ml import TRAINING_OUTPUT_PREFIX
from stacks.nag import acknowledge, acknowledge_cdk_helpers, acknowledge_policy_wildcards

REPO_ROOT = Path(__file__).resolve().parent.parent
PREDICT_SOURCE = REPO_ROOT / "lambda" / "predict"
BOOTSTRAP_MODEL = REPO_ROOT / "build" / "model" / "model.tar.gz"
# Pure-Python packages the handler imports beyond the Lambda runtime's boto3.
PREDICT_DISTRIBUTIONS = (
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "jmespath",
    "typing-extensions",
    "wrapt",
)

_WILDCARDS = {
    r"^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$": (
        "CDK's bucket grants use this action family; resources stay one bucket or prefix."
    ),
    r"^Action::kms:(GenerateDataKey|ReEncrypt)\*$": (
        "CDK's key grants use this action family on the single lake key."
    ),
    rf"/({TRAINING_OUTPUT_PREFIX}|{DATA_CAPTURE_PREFIX})/\*$": (
        "Model artifacts are read and captured requests written under job- and "
        "date-named keys; limited to one prefix each."
    ),
    r"^Resource::arn:<AWS::Partition>:s3:::cdk-\w+-assets-<AWS::AccountId>-<AWS::Region>/\*$": (
        "CDK's asset bucket: the endpoint loads the bootstrap model artifact from it."
    ),
    r":log-group:/aws/sagemaker/Endpoints\*$": (
        "SageMaker names endpoint log streams per instance under this prefix."
    ),
    r"^Resource::\*$": (
        "ecr:GetAuthorizationToken supports no resource-level permissions; pulling itself "
        "is limited to the scikit-learn framework repository."
    ),
}


class ServingStack(Stack):
    endpoint: SentimentEndpoint
    function: lambda_.Function
    api: PredictionApi
    web: WebSite

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        key: kms.IKey,
        models_bucket: s3.IBucket,
        access_logs_bucket: s3.IBucket,
        sklearn_framework_version: str,
        alarm_thresholds: EndpointAlarmThresholds,
        log_retention: logs.RetentionDays,
        retain_data: bool,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The same image family the training job used, resolved in this stack's region.
        image = SklearnImage(self, "SklearnImage", version=sklearn_framework_version)

        model_role = iam.Role(
            self,
            "ModelRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Serves the sentiment model: reads its artifact, writes captures",
        )
        key.grant_encrypt_decrypt(model_role)
        image.grant_pull(model_role)
        models_bucket.grant_read(model_role, f"{TRAINING_OUTPUT_PREFIX}/*")
        models_bucket.grant_put(model_role, f"{DATA_CAPTURE_PREFIX}/*")
        model_role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                    "log-group:/aws/sagemaker/Endpoints*"
                ],
            )
        )

        container, self.model_version = self._model_container(config, image, model_role)
        self.endpoint = SentimentEndpoint(
            self,
            "Sentiment",
            config=config,
            model_role=model_role,
            container=container,
            key=key,
            capture_bucket=models_bucket,
            alarm_thresholds=alarm_thresholds,
        )

        self.web = WebSite(self, "Web", access_logs_bucket=access_logs_bucket, retain=retain_data)

        function_logs = logs.LogGroup(
            self, "PredictLogs", retention=log_retention, encryption_key=key
        )
        # Our own role instead of the basic execution policy: logs to this group only.
        function_role = iam.Role(
            self,
            "PredictRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Predict Lambda: its log group, X-Ray, this endpoint",
        )
        function_logs.grant_write(function_role)
        self.function = lambda_.Function(
            self,
            "Predict",
            description="POST /predict and GET /health in front of the SageMaker endpoint",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.X86_64,
            handler="handler.handler",
            role=function_role,
            code=python_code(PREDICT_SOURCE, PREDICT_DISTRIBUTIONS),
            memory_size=config.lambda_memory_mb,
            timeout=Duration.seconds(config.lambda_timeout_seconds),
            reserved_concurrent_executions=config.lambda_reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=function_logs,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                "ENDPOINT_NAME": self.endpoint.endpoint.attr_endpoint_name,
                "MODEL_VERSION": self.model_version,
                "ALLOWED_ORIGIN": self.web.origin,
                "MAX_REVIEWS": str(config.max_reviews_per_request),
                "MAX_REVIEW_CHARS": str(config.max_review_chars),
                "MAX_BODY_BYTES": str(config.max_body_bytes),
                # Leave room inside the function timeout for one retry.
                "SAGEMAKER_READ_TIMEOUT": str(max(1, config.lambda_timeout_seconds // 3)),
                "SAGEMAKER_MAX_RETRIES": "1",
                "POWERTOOLS_SERVICE_NAME": "predict-api",
                "POWERTOOLS_METRICS_NAMESPACE": "ReviewSentiment",
            },
        )
        # Only this endpoint: invoke for predictions, describe for /health.
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                resources=[self.endpoint.endpoint_arn],
            )
        )

        self.api = PredictionApi(
            self,
            "Api",
            config=config,
            function=self.function,
            allowed_origin=self.web.origin,
            key=key,
            log_retention=log_retention,
        )
        self.web.publish(
            api_url=self.api.url,
            api_key_required=config.auth == "api_key",
            log_retention=log_retention,
        )

        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "WebUrl", value=self.web.origin)
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint.attr_endpoint_name)
        if self.api.api_key is not None:
            CfnOutput(
                self,
                "ApiKeyId",
                value=self.api.api_key.key_id,
                description="aws apigateway get-api-key --include-value --api-key <id>",
            )
        self._acknowledge(config, model_role)

    def _model_container(
        self, config: ServingConfig, image: SklearnImage, role: iam.IRole
    ) -> tuple[sagemaker.CfnModel.ContainerDefinitionProperty, str]:
        """An approved registry package when configured, else the locally built bootstrap."""
        if config.model_package_arn:
            version = config.model_package_arn.rsplit("/", 1)[-1]
            return (
                sagemaker.CfnModel.ContainerDefinitionProperty(
                    model_package_name=config.model_package_arn
                ),
                f"package-{version}",
            )
        if not BOOTSTRAP_MODEL.is_file():
            raise ConfigError(
                f"{BOOTSTRAP_MODEL.relative_to(REPO_ROOT)} is missing: run `make model` to "
                "train the bootstrap model, or deploy an approved package with "
                "-c model_package_arn=arn:aws:sagemaker:...:model-package/<group>/<version>"
            )
        digest = hashlib.sha256(BOOTSTRAP_MODEL.read_bytes()).hexdigest()[:12]
        artifact = s3_assets.Asset(self, "BootstrapModel", path=str(BOOTSTRAP_MODEL))
        artifact.grant_read(role)
        return (
            sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image.inference_uri,
                model_data_url=artifact.s3_object_url,
                environment=dict(serving_environment()),
            ),
            f"bootstrap-{digest}",
        )

    def _acknowledge(self, config: ServingConfig, model_role: iam.Role) -> None:
        acknowledge_policy_wildcards(model_role, _WILDCARDS)
        acknowledge_policy_wildcards(
            self.function.role,
            {
                r"^Resource::\*$": "X-Ray's PutTraceSegments and PutTelemetryRecords support "
                "no resource-level permissions.",
            },
        )
        acknowledge(
            self.api.api,
            "AwsSolutions-IAM4",
            "API Gateway's account-level logging role uses the AWS-documented policy "
            "AmazonAPIGatewayPushToCloudWatchLogs, which only writes logs.",
            finding="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs",
        )
        if config.auth == "api_key":
            for method in (self.api.predict_method, self.api.health_method):
                acknowledge(
                    method,
                    "AwsSolutions-APIG4",
                    "Callers authenticate with an API key tied to a throttled usage plan; "
                    "stages that need AWS identities set serving.auth=iam.",
                )
                acknowledge(
                    method,
                    "AwsSolutions-COG4",
                    "No Cognito user pool: the API is for programs and the demo page, which "
                    "use an API key (or IAM auth when configured).",
                )
        if not config.waf_enabled:
            acknowledge(
                self.api.api.deployment_stage,
                "AwsSolutions-APIG3",
                "WAF is switched off in this stage to keep idle cost near zero; throttling "
                "and a daily quota bound abuse. Prod enables serving.waf_enabled.",
            )
        distribution = self.web.distribution
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "A public demo page for a public API: no geo restriction is wanted.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "Static page only; the API it calls has its own WAF option and throttling.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "The default CloudFront certificate cannot pin TLS 1.2; attach a custom domain "
            "and certificate to enforce it.",
        )
        acknowledge_cdk_helpers(
            self,
            id_prefix="Custom::CDKBucketDeployment",
            reason="CDK's BucketDeployment handler copies the web page into its bucket; its "
            "role and runtime are managed by the CDK.",
            rules={
                "AwsSolutions-IAM4": "Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AWSLambdaBasicExecutionRole",
                "AwsSolutions-L1": None,
            },
            wildcards={
                r"^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$": (
                    "CDK's bucket grants for the deployment handler: read the asset bucket, "
                    "write the web bucket."
                ),
                r"^Resource::arn:<AWS::Partition>:s3:::cdk-\w+-assets-<AWS::AccountId>-"
                r"<AWS::Region>/\*$": "The handler reads the page's asset zip.",
                r"^Resource::<WebContent\w+\.Arn>/\*$": (
                    "The handler replaces every object of the page's own bucket."
                ),
                r"^Resource::\*$": (
                    "CloudFront CreateInvalidation supports no resource-level permissions "
                    "in the handler's policy."
                ),
            },
        )
