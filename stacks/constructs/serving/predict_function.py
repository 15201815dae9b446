"""The predict Lambda: the API's code in front of the endpoint, with its own role and logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import ServingConfig
from stacks.constructs.shared.python_bundle import python_code
from stacks.source_paths import COMMON, PREDICT_LAMBDA

# The shared rules the handler imports, shipped flat beside it.
SHARED_FILES = ("text_normalization.py", "predict_request.py", "predict_request.schema.json")


class PredictFunction(Construct):
    """POST /predict and GET /health; invokes and describes exactly one endpoint."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        endpoint_name: str | None,
        endpoint_arn: str | None,
        model_version: str,
        allowed_origin: str,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        # Our own role instead of the basic execution policy: logs to this group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Predict Lambda: its log group, X-Ray, this endpoint",
        )
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description="POST /predict and GET /health in front of the SageMaker endpoint",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.X86_64,
            handler="handler.handler",
            role=self.role,
            code=python_code(PREDICT_LAMBDA, shared_files=[COMMON / f for f in SHARED_FILES]),
            memory_size=config.lambda_memory_mb,
            timeout=Duration.seconds(config.lambda_timeout_seconds),
            reserved_concurrent_executions=config.lambda_reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                # Without an endpoint the API answers 503 endpoint_unavailable.
                **({"ENDPOINT_NAME": endpoint_name} if endpoint_name else {}),
                "MODEL_VERSION": model_version,
                "ALLOWED_ORIGIN": allowed_origin,
                **config.request_limits_environment(),
                # Leave room inside the function timeout for one retry.
                "SAGEMAKER_READ_TIMEOUT": str(max(1, config.lambda_timeout_seconds // 3)),
                "SAGEMAKER_MAX_RETRIES": "1",
                "POWERTOOLS_SERVICE_NAME": "predict-api",
                "POWERTOOLS_METRICS_NAMESPACE": "ReviewSentiment",
            },
        )
        if endpoint_arn:
            # Only this endpoint: invoke for predictions, describe for /health.
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                    resources=[endpoint_arn],
                )
            )
