"""What the serving stack deploys to answer: the SageMaker endpoint and its variants, or
nothing (Comprehend, or no model yet).

Builds directly in the stack's scope (the scikit-learn image, the model role, the
bootstrap artifact, the `Sentiment` endpoint), so each keeps the logical id it had when
the stack built it inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Stack

from lake_layout import DATA_CAPTURE_PREFIX, TRAINING_OUTPUT_PREFIX
from stacks import nag
from stacks.config import ServingConfig
from stacks.constructs.serving.endpoint_alarms import SINGLE_VARIANT, EndpointAlarmThresholds
from stacks.constructs.serving.endpoint_variants import plan_variants
from stacks.constructs.serving.model_role import ENDPOINT_LOG_GROUP, model_role
from stacks.constructs.serving.sentiment_endpoint import SentimentEndpoint
from stacks.constructs.serving.served_model import ModelSources
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import DataLake, DriftSource

# Until a package is approved (and without a bootstrap model) a stage serves no model:
# the API, page and Lambda deploy, and /health and /predict answer 503.
NO_MODEL = "none"
# What /health and every prediction name as the model of a Comprehend stage.
COMPREHEND_MODEL = "amazon-comprehend"

_MODEL_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (TRAINING_OUTPUT_PREFIX, DATA_CAPTURE_PREFIX),
        "Model artifacts are read and captured requests written under job- and "
        "date-named keys; limited to one prefix each.",
    ),
    rf":log-group:{ENDPOINT_LOG_GROUP}\*$": (
        "SageMaker names endpoint log streams per instance under this prefix."
    ),
    **nag.ECR_AUTHORIZATION_TOKEN,
}


@dataclass(frozen=True)
class DeployedModel:
    endpoint: SentimentEndpoint | None
    # MODEL_VERSION of the predict Lambda: one version, or `variant:version,...`.
    version: str
    # What the drift job compares; None where nothing is captured or no baseline is known.
    drift_source: DriftSource | None = None

    @property
    def variants(self) -> tuple[str, ...]:
        """The production variants a caller may pin; none without an endpoint."""
        return self.endpoint.production_variants if self.endpoint else ()

    @property
    def named_variants(self) -> bool:
        """Named production variants or a shadow, rather than the single `AllTraffic`."""
        return self.endpoint is not None and [v.name for v in self.endpoint.variants] != [
            SINGLE_VARIANT
        ]


def deploy_model(
    stack: Stack,
    *,
    config: ServingConfig,
    lake: DataLake,
    sklearn_framework_version: str,
    bootstrap_model: Path | None,
    alarm_thresholds: EndpointAlarmThresholds,
) -> DeployedModel:
    if config.backend == "comprehend":
        # Comprehend is the model: no endpoint, no model role, no endpoint alarms.
        return DeployedModel(None, COMPREHEND_MODEL)
    has_model = bool(config.model_package_arn or config.variants) or bootstrap_model is not None
    if not has_model:
        return DeployedModel(None, NO_MODEL)
    # The same image family the training job used, resolved in this stack's region.
    image = SklearnImage(stack, "SklearnImage", version=sklearn_framework_version)
    role = model_role(stack, "ModelRole", lake=lake, image=image)
    sources = ModelSources(
        stack,
        image=image,
        role=role,
        bootstrap_model=bootstrap_model,
        uncertainty_threshold=config.uncertainty_threshold,
    )
    variants = plan_variants(config, sources)
    endpoint = SentimentEndpoint(
        stack,
        "Sentiment",
        config=config,
        variants=variants,
        model_role=role,
        key=lake.key,
        capture_bucket=lake.buckets.models,
        alarm_thresholds=alarm_thresholds,
    )
    nag.acknowledge_policy_wildcards(role, _MODEL_ROLE_WILDCARDS)
    # Only production variants answer: one names its version, several `name:version,...`.
    production = [v for v in variants if not v.shadow]
    version = production[0].model.version
    if len(production) > 1:
        version = ",".join(f"{v.name}:{v.model.version}" for v in production)
    return DeployedModel(endpoint, version, _drift_source(config, lake, endpoint))


def _drift_source(
    config: ServingConfig, lake: DataLake, endpoint: SentimentEndpoint
) -> DriftSource | None:
    """The captured traffic and the baselines of the models whose artifact is known."""
    serverless = endpoint.variants[0].instance_type is None
    baselines = {
        v.name: v.model.artifact for v in endpoint.variants if v.model.artifact and not v.shadow
    }
    if serverless or config.data_capture_percent == 0 or not baselines:
        return None
    return DriftSource(
        # The endpoint's stable name, as its alarms use it (no cross-stack export).
        endpoint_name=endpoint.endpoint_name,
        capture_bucket=lake.buckets.models,
        capture_prefix=DATA_CAPTURE_PREFIX,
        baselines=baselines,
    )
