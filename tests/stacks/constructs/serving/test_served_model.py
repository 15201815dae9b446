"""Model sources: a package or the bootstrap artifact (uploaded once), the stage's threshold."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from synth_support import fixture_model_artifact

from stacks.config import ConfigError
from stacks.constructs.serving.served_model import BOOTSTRAP, ModelSources
from stacks.constructs.shared.sklearn_image import SklearnImage

PACKAGE = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/group/4"


def _sources(stack, *, bootstrap, threshold=None) -> ModelSources:
    return ModelSources(
        stack,
        image=SklearnImage(stack, "Image", version="1.9-0"),
        role=iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")),
        bootstrap_model=bootstrap,
        uncertainty_threshold=threshold,
    )


def _assets(stack) -> list:
    return [c for c in stack.node.children if isinstance(c, cdk.aws_s3_assets.Asset)]


def test_a_package_serves_as_is_without_a_threshold(stack):
    model = _sources(stack, bootstrap=None).model(PACKAGE)
    assert model is not None
    assert model.version == "package-4"
    assert stack.resolve(model.container) == {"modelPackageName": PACKAGE}


def test_the_stage_threshold_reaches_package_and_bootstrap_containers(stack, tmp_path):
    sources = _sources(stack, bootstrap=fixture_model_artifact(tmp_path), threshold=0.75)
    for arn in (PACKAGE, BOOTSTRAP):
        model = sources.model(arn)
        assert model is not None
        assert model.container.environment["UNCERTAINTY_THRESHOLD"] == "0.75"


def test_two_bootstrap_variants_share_one_upload(stack, tmp_path):
    sources = _sources(stack, bootstrap=fixture_model_artifact(tmp_path))
    first, second = sources.model(BOOTSTRAP), sources.model(None)
    assert first is second and first is not None
    assert first.version.startswith("bootstrap-")
    assert len(_assets(stack)) == 1


def test_nothing_to_serve_without_a_package_or_an_artifact(stack):
    sources = _sources(stack, bootstrap=None)
    assert sources.model(None) is None
    with pytest.raises(ConfigError, match="bootstrap"):
        sources.model(BOOTSTRAP)
