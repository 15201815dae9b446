"""The SageMaker scikit-learn framework image of the stack's region, without lookups.

Stacks are environment-agnostic, so the region is only known at deploy time: a region
table becomes a CfnMapping and `Aws.REGION` picks the row. The table comes from the
SageMaker SDK's own configuration, generated once into `sklearn_images.json` by
`scripts/sklearn_images.py` (`make images`; a test keeps it equal to the pinned SDK), so
a synth never imports the SDK.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from aws_cdk import Aws, CfnMapping, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import ConfigError

REPOSITORY = "sagemaker-scikit-learn"
IMAGE_TABLE = Path(__file__).with_name("sklearn_images.json")


@functools.cache
def _checked_in_table(version: str) -> dict[str, dict[str, str]]:
    tables = json.loads(IMAGE_TABLE.read_text())
    if version not in tables:
        raise ConfigError(
            f"training.sklearn_framework_version {version!r} is not in "
            f"{IMAGE_TABLE.name} ({sorted(tables)}): run `make images`"
        )
    table: dict[str, dict[str, str]] = tables[version]
    return table


class SklearnImage(Construct):
    """Training and inference image URIs of the region, and pull permissions."""

    def __init__(self, scope: Construct, construct_id: str, *, version: str) -> None:
        super().__init__(scope, construct_id)
        self.version = version
        self._mapping = CfnMapping(self, "Regions", mapping=_checked_in_table(version))

    @property
    def training_uri(self) -> str:
        return self._mapping.find_in_map(Aws.REGION, "training")

    @property
    def inference_uri(self) -> str:
        return self._mapping.find_in_map(Aws.REGION, "inference")

    @property
    def repository_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="ecr",
            account=self._mapping.find_in_map(Aws.REGION, "account"),
            resource="repository",
            resource_name=REPOSITORY,
        )

    def grant_pull(self, grantee: iam.IGrantable) -> None:
        """Let a role pull this image (what SageMaker does with the execution role)."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            resource_arns=[self.repository_arn],
        )
        # GetAuthorizationToken has no resource-level permissions (AWS documents "*").
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["ecr:GetAuthorizationToken"], resource_arns=["*"]
        )
