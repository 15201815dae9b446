"""The role the endpoint's model runs as: read its artifact, write captured traffic, log."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from lake_layout import DATA_CAPTURE_PREFIX, TRAINING_OUTPUT_PREFIX
from stacks.constructs.shared.service_logs import grant_log_writes_under
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import DataLake

# SageMaker names endpoint log streams per instance under this one log group.
ENDPOINT_LOG_GROUP = "/aws/sagemaker/Endpoints"


def model_role(
    scope: Construct, construct_id: str, *, lake: DataLake, image: SklearnImage
) -> iam.Role:
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="Serves the sentiment model: reads its artifact, writes captures",
    )
    lake.key.grant_encrypt_decrypt(role)
    image.grant_pull(role)
    lake.buckets.models.grant_read(role, f"{TRAINING_OUTPUT_PREFIX}/*")
    lake.buckets.models.grant_put(role, f"{DATA_CAPTURE_PREFIX}/*")
    grant_log_writes_under(role, ENDPOINT_LOG_GROUP)
    return role
