"""Which model the endpoint serves: an approved registry package, or the bootstrap one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.config import ConfigError, ServingConfig
from stacks.constructs.ml.training_job import serving_environment
from stacks.constructs.shared.asset_grants import grant_read_asset
from stacks.constructs.shared.sklearn_image import SklearnImage


@dataclass(frozen=True)
class ServedModel:
    container: sagemaker.CfnModel.ContainerDefinitionProperty
    # Shown by /health and in every prediction: which model answered.
    version: str


def served_model(
    scope: Construct,
    *,
    config: ServingConfig,
    image: SklearnImage,
    role: iam.IRole,
    bootstrap_model: Path | None,
) -> ServedModel | None:
    """The configured package, else a locally trained artifact uploaded as an asset, else
    nothing: a stage serves no model until one is registered and approved."""
    if config.model_package_arn:
        version = config.model_package_arn.rsplit("/", 1)[-1]
        return ServedModel(
            sagemaker.CfnModel.ContainerDefinitionProperty(
                model_package_name=config.model_package_arn
            ),
            f"package-{version}",
        )
    if bootstrap_model is None:
        return None
    if not bootstrap_model.is_file():
        raise ConfigError(
            f"-c bootstrap_model={bootstrap_model}: no such file; `make model` trains one "
            "into build/model/model.tar.gz"
        )
    digest = hashlib.sha256(bootstrap_model.read_bytes()).hexdigest()[:12]
    artifact = s3_assets.Asset(scope, "BootstrapModel", path=str(bootstrap_model))
    grant_read_asset(artifact, role)
    return ServedModel(
        sagemaker.CfnModel.ContainerDefinitionProperty(
            image=image.inference_uri,
            model_data_url=artifact.s3_object_url,
            environment=dict(serving_environment()),
        ),
        f"bootstrap-{digest}",
    )
