"""The checked-in region -> image table equals what the pinned SageMaker SDK returns."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk.assertions import Template

from scripts.sklearn_images import IMAGE_TABLE, framework_versions, image_table
from stacks.constructs.shared.sklearn_image import SklearnImage


def test_checked_in_table_equals_the_pinned_sdk():
    # `make images` regenerates the file after an SDK or framework version bump.
    checked_in = json.loads(IMAGE_TABLE.read_text())
    assert sorted(checked_in) == framework_versions()
    for version, table in checked_in.items():
        assert table == image_table(version)
        assert len(table) > 20


def test_construct_maps_every_region_and_pulls_from_the_regional_registry():
    stack = cdk.Stack(cdk.App(), "Images")
    (version,) = framework_versions()
    image = SklearnImage(stack, "Image", version=version)
    role = cdk.aws_iam.Role(
        stack, "Role", assumed_by=cdk.aws_iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    image.grant_pull(role)
    template = Template.from_stack(stack).to_json()
    (mapping,) = template["Mappings"].values()
    assert mapping["eu-west-1"]["inference"].endswith(f"sagemaker-scikit-learn:{version}-cpu-py3")
    statements = json.dumps(template["Resources"])
    assert "repository/sagemaker-scikit-learn" in statements
    assert "ecr:GetAuthorizationToken" in statements
