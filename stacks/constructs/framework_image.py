"""AWS framework container images, resolved per region by the SageMaker SDK at synth time."""

from __future__ import annotations

import functools

from aws_cdk import Aws, CfnMapping, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

SKLEARN = "sklearn"


@functools.cache
def _sklearn_images(version: str) -> dict[str, dict[str, str]]:
    """Region -> image URIs and registry account, straight from the SDK's own tables."""
    # Imported here: the SDK is large and only this construct needs it.
    from sagemaker.core import image_uris

    config = image_uris.config_for_framework(SKLEARN)
    regions = config["inference"]["versions"][version]["registries"]
    images = {}
    for region, account in sorted(regions.items()):
        images[region] = {
            "account": account,
            "training": image_uris.retrieve(
                SKLEARN, region=region, version=version, image_scope="training"
            ),
            "inference": image_uris.retrieve(
                SKLEARN, region=region, version=version, image_scope="inference"
            ),
        }
    return images


class SklearnImage(Construct):
    """The SageMaker scikit-learn image for the stack's region, without lookups.

    Stacks are environment-agnostic, so the region is only known at deploy time: the
    SDK's region table becomes a CfnMapping and `Aws.REGION` picks the row.
    """

    REPOSITORY = "sagemaker-scikit-learn"

    def __init__(self, scope: Construct, construct_id: str, *, version: str) -> None:
        super().__init__(scope, construct_id)
        self.version = version
        self._mapping = CfnMapping(self, "Regions", mapping=_sklearn_images(version))

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
            resource_name=self.REPOSITORY,
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
