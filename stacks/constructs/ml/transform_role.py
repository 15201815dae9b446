"""The role batch scoring's SageMaker model runs as: the Transform job acts with it.

SageMaker reads the model artifact, reads the input and writes the output with the
model's execution role, so this role, not the state machine's, holds the data grants:
the registry's artifacts, the two places a run may read, the one place it writes.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from lake_layout import (
    BATCH_INPUT_PREFIX,
    CURATED_TABLE,
    PREDICTIONS_TABLE,
    SCORING_CHANNEL,
    TRAINING_OUTPUT_PREFIX,
)
from stacks.constructs.shared.service_logs import grant_log_writes_under
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import DataLake

# SageMaker names transform log streams per job under this one log group.
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
# The objects a run may score: the ETL's scoring channel and ad-hoc uploads.
INPUT_PREFIXES = {
    "curated": f"{CURATED_TABLE}/{SCORING_CHANNEL}",
    "predictions": BATCH_INPUT_PREFIX,
}


def transform_model_role(
    scope: Construct, construct_id: str, *, lake: DataLake, image: SklearnImage
) -> iam.Role:
    buckets = lake.buckets
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="Batch scoring model: reads registry artifacts and batch input, "
        "writes scored_reviews",
    )
    buckets.models.grant_read(role, f"{TRAINING_OUTPUT_PREFIX}/*")
    buckets.curated.grant_read(role, f"{INPUT_PREFIXES['curated']}/*")
    buckets.predictions.grant_read(role, f"{INPUT_PREFIXES['predictions']}/*")
    # Transform only adds output files; a rerun gets a new run_id folder, so no delete.
    buckets.predictions.grant_put(role, f"{PREDICTIONS_TABLE}/*")
    # Decrypt artifacts and input; encrypt output (KmsKeyId) and the volume.
    lake.key.grant_encrypt_decrypt(role)
    image.grant_pull(role)
    grant_log_writes_under(role, TRANSFORM_LOG_GROUP, extra_actions=["logs:DescribeLogStreams"])
    return role
