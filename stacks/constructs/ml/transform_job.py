"""The Batch Transform job batch scoring starts: its request, as the API takes it.

Pure data, like training_job.py: the CreateTransformJob parameters with KMS on the
output and the volume, the JSON Lines contract of training/inference.py (SplitType=Line,
MultiRecord mini-batches up to MaxPayloadInMB, one output line per input line) and the
state's JsonPath references to the run (`$.run`) and the request (`$.request`).

Batch Transform has no managed spot capacity (spot exists for training jobs only), so
every run bills on-demand instance-hours; `make cost` prices one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.config import BatchConfig

JSON_LINES = "application/jsonlines"
# Names of models and transform jobs: "batch-" and a UUID (at most 63 characters).
RUN_NAME_PREFIX = "batch"
# What a request leaves out. Gzip: the ETL's scoring channel is gzip JSON Lines; plain
# files need "compression": "None" (a wrong setting fails the job instead of scoring
# garbage). An empty input_prefix fails the request's check, not a later state.
REQUEST_DEFAULTS = {"input_prefix": "", "compression": "Gzip"}


def transform_job_request(
    config: BatchConfig,
    *,
    key_arn: str,
    environment: Mapping[str, str],
    tags: Mapping[str, str],
) -> dict[str, Any]:
    """CreateTransformJob parameters for the run named `$.run.name`."""
    request: dict[str, Any] = {
        "TransformJobName.$": "$.run.name",
        "ModelName.$": "$.run.name",
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": config.max_payload_mb,
        "MaxConcurrentTransforms": config.max_concurrent_transforms,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.request.input_prefix"}
            },
            "ContentType": JSON_LINES,
            "CompressionType.$": "$.request.compression",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath.$": "$.run.output_uri",
            "Accept": JSON_LINES,
            "AssembleWith": "Line",
            "KmsKeyId": key_arn,
        },
        "TransformResources": {
            "InstanceType": config.instance_type,
            "InstanceCount": config.instance_count,
            # Instance types with NVMe instance storage (ml.*d, ml.g4dn) refuse a volume
            # key; the stage's ml.m5 instances take it.
            "VolumeKmsKeyId": key_arn,
        },
        # The model echoes review_id and true_label itself, so nothing is joined: the
        # defaults, written out because the CDK's task cannot express them at all.
        "DataProcessing": {"InputFilter": "$", "OutputFilter": "$", "JoinSource": "None"},
        # Runtime-created jobs carry the stage's tags, so the budget counts their cost.
        "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
    }
    if environment:
        request["Environment"] = dict(environment)
    return request
