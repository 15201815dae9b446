"""The predict Lambda: the API's code in front of its backend, with its own role and logs.

The backend is the stage's SageMaker endpoint (`serving.backend: sagemaker`) or Amazon
Comprehend's sentiment (`comprehend`); the handler reads which from `BACKEND`.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import ServingConfig
from stacks.constructs.shared.python_function import python_function
from stacks.source_paths import COMMON, PREDICT_LAMBDA

# The shared rules the handler imports, shipped flat beside it.
SHARED_FILES = ("text_normalization.py", "predict_request.py", "predict_request.schema.json")
# Powertools publishes the handler's EMF metrics in this namespace, with this service as
# the `service` dimension of every metric (the monitoring stack's alarms read them).
METRICS_NAMESPACE = "ReviewSentiment"
SERVICE_NAME = "predict-api"
# Comprehend's sentiment actions, which support no resource-level permissions.
COMPREHEND_ACTIONS = ("comprehend:BatchDetectSentiment", "comprehend:DetectSentiment")


class PredictFunction(Construct):
    """POST /predict and GET /health; invokes and describes exactly one endpoint, or
    calls Comprehend's sentiment actions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        endpoint_name: str | None,
        endpoint_arn: str | None,
        variants: tuple[str, ...],
        model_version: str,
        allowed_origin: str,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        comprehend = config.backend == "comprehend"
        self.role, self.function = python_function(
            self,
            role_description="Predict Lambda: its log group, X-Ray, "
            + ("Comprehend sentiment" if comprehend else "this endpoint"),
            description="POST /predict and GET /health in front of "
            + ("Amazon Comprehend" if comprehend else "the SageMaker endpoint"),
            source_dir=PREDICT_LAMBDA,
            handler="handler.handler",
            log_group=log_group,
            shared_files=[COMMON / f for f in SHARED_FILES],
            memory_size=config.lambda_memory_mb,
            timeout=Duration.seconds(config.lambda_timeout_seconds),
            reserved_concurrent_executions=config.lambda_reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                # Without an endpoint the API answers 503 endpoint_unavailable.
                **({"ENDPOINT_NAME": endpoint_name} if endpoint_name else {}),
                **_backend_environment(config, variants),
                "MODEL_VERSION": model_version,
                "ALLOWED_ORIGIN": allowed_origin,
                **config.request_limits_environment(),
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
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
        if comprehend:
            self.function.add_to_role_policy(
                iam.PolicyStatement(actions=list(COMPREHEND_ACTIONS), resources=["*"])
            )


def _backend_environment(config: ServingConfig, variants: tuple[str, ...]) -> dict[str, str]:
    """Which backend answers, which variants a caller may pin, and the SageMaker client's
    timeouts."""
    environment = {
        "BACKEND": config.backend,
        "ALLOW_TARGET_VARIANT": "true" if config.allow_target_variant else "false",
        "VARIANTS": ",".join(variants),
    }
    # Every backend call may be retried once and must fit in the function's timeout:
    # SageMaker answers a request in one call, Comprehend in one call per 25 reviews.
    calls = 1 if config.backend == "sagemaker" else -(-config.max_reviews_per_request // 25)
    environment["SAGEMAKER_READ_TIMEOUT"] = str(
        max(1, config.lambda_timeout_seconds // (3 * calls))
    )
    environment["SAGEMAKER_MAX_RETRIES"] = "1"
    return environment
