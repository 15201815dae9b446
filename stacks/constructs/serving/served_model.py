"""Which model a variant serves: an approved registry package, or the bootstrap one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.config import ConfigError
from stacks.constructs.ml.training_job import serving_environment
from stacks.constructs.shared.asset_grants import grant_read_asset
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import ModelArtifact

# What a variant's `model_package_arn` says to serve the locally trained artifact.
BOOTSTRAP = "bootstrap"
_Container = sagemaker.CfnModel.ContainerDefinitionProperty


@dataclass(frozen=True)
class ServedModel:
    container: _Container
    # Shown by /health and in every prediction: which model answered.
    version: str
    # Where model.tar.gz lies, when known at synth (the bootstrap asset): the drift job
    # reads the baseline train.py put inside it. A registry package's is not known.
    artifact: ModelArtifact | None = None


class ModelSources:
    """Containers for registry packages or the bootstrap artifact, uploaded at most once.

    Without a package and without a bootstrap artifact there is nothing to serve: a stage
    deploys its API with no endpoint until a package is registered and approved.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        image: SklearnImage,
        role: iam.IRole,
        bootstrap_model: Path | None,
        uncertainty_threshold: float | None,
    ) -> None:
        self._scope = scope
        self._image = image
        self._role = role
        self._bootstrap_model = bootstrap_model
        # The contract with inference.py: this overrides the threshold the model ships.
        self._environment = (
            {"UNCERTAINTY_THRESHOLD": str(uncertainty_threshold)}
            if uncertainty_threshold is not None
            else {}
        )
        self._bootstrap: ServedModel | None = None

    def model(self, package_arn: str | None) -> ServedModel | None:
        """`package_arn`, or the bootstrap artifact for None or "bootstrap", else None."""
        if package_arn and package_arn != BOOTSTRAP:
            version = package_arn.rsplit("/", 1)[-1]
            return ServedModel(
                _Container(model_package_name=package_arn, environment=self._environment or None),
                f"package-{version}",
            )
        if self._bootstrap_model is None:
            if package_arn == BOOTSTRAP:
                raise ConfigError(
                    'serving.variants: "bootstrap" needs -c bootstrap_model=... '
                    "(`make model` trains build/model/model.tar.gz)"
                )
            return None
        if self._bootstrap is None:
            self._bootstrap = self._upload_bootstrap(self._bootstrap_model)
        return self._bootstrap

    def _upload_bootstrap(self, path: Path) -> ServedModel:
        if not path.is_file():
            raise ConfigError(
                f"-c bootstrap_model={path}: no such file; `make model` trains one "
                "into build/model/model.tar.gz"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        # Built in the stack's scope under this id, so the asset keeps its logical id.
        artifact = s3_assets.Asset(self._scope, "BootstrapModel", path=str(path))
        grant_read_asset(artifact, self._role)
        return ServedModel(
            _Container(
                image=self._image.inference_uri,
                model_data_url=artifact.s3_object_url,
                environment={**serving_environment(), **self._environment},
            ),
            f"bootstrap-{digest}",
            ModelArtifact(bucket=artifact.bucket, key=artifact.s3_object_key),
        )
