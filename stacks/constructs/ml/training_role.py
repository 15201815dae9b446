"""The role SageMaker training jobs run as: read the channels, write artifacts, log."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from lake_layout import CHECKPOINT_PREFIX, CURATED_TABLE, TRAINING_OUTPUT_PREFIX
from stacks.constructs.shared.asset_grants import grant_read_asset
from stacks.constructs.shared.service_logs import grant_log_writes_under
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import DataLake

# SageMaker names training log streams per job under this one log group.
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def training_role(
    scope: Construct,
    construct_id: str,
    *,
    lake: DataLake,
    source: s3_assets.Asset,
    image: SklearnImage,
) -> iam.Role:
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="Training jobs: read curated channels, write model artifacts",
    )
    lake.buckets.curated.grant_read(role, f"{CURATED_TABLE}/*")
    # Training writes artifacts and uploads checkpoints, and reads checkpoints back after
    # a spot interruption; it never deletes, so no grant_read_write.
    for prefix in (TRAINING_OUTPUT_PREFIX, CHECKPOINT_PREFIX):
        lake.buckets.models.grant_read(role, f"{prefix}/*")
        lake.buckets.models.grant_put(role, f"{prefix}/*")
    grant_read_asset(source, role)
    lake.key.grant_encrypt_decrypt(role)
    image.grant_pull(role)
    # DescribeLogStreams: the training toolkit looks for its stream before writing.
    grant_log_writes_under(role, TRAINING_LOG_GROUP, extra_actions=["logs:DescribeLogStreams"])
    return role
