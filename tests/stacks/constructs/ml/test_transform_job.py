"""The CreateTransformJob request and the partition statement, as pure data."""

from __future__ import annotations

import dataclasses

import pytest

from app import cdk_json_context
from stacks.config import stage_config
from stacks.constructs.ml.register_predictions import partition_statement
from stacks.constructs.ml.transform_job import transform_job_request


@pytest.fixture
def batch():
    return stage_config(cdk_json_context(), "prod").batch


def test_output_and_volume_use_the_key_and_the_config_sizes_the_job(batch):
    sized = dataclasses.replace(batch, instance_count=3, max_payload_mb=4)
    request = transform_job_request(sized, key_arn="arn:key", environment={}, tags={})
    assert request["TransformOutput"]["KmsKeyId"] == "arn:key"
    assert request["TransformResources"] == {
        "InstanceType": batch.instance_type,
        "InstanceCount": 3,
        "VolumeKmsKeyId": "arn:key",
    }
    assert request["MaxPayloadInMB"] == 4
    # No environment means the model's own threshold: nothing to override.
    assert "Environment" not in request


def test_environment_and_tags_reach_the_job(batch):
    request = transform_job_request(
        batch,
        key_arn="arn:key",
        environment={"UNCERTAINTY_THRESHOLD": "0.8"},
        tags={"stage": "prod", "project": "reviews"},
    )
    assert request["Environment"] == {"UNCERTAINTY_THRESHOLD": "0.8"}
    assert request["Tags"] == [
        {"Key": "project", "Value": "reviews"},
        {"Key": "stage", "Value": "prod"},
    ]


def test_partition_statement_escapes_its_quotes_for_states_format():
    statement = partition_statement("scored_reviews")
    assert statement == (
        "ALTER TABLE scored_reviews ADD IF NOT EXISTS PARTITION "
        "(run_date = \\'{}\\', run_id = \\'{}\\') LOCATION \\'{}\\'"
    )
    # Unescaped, what Athena runs: three placeholders, each in quotes.
    assert statement.replace("\\'", "'").count("'{}'") == 3
