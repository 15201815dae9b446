"""The CreateTrainingJob request: spot with checkpoints, KMS, channels, metrics."""

from __future__ import annotations

import dataclasses

import pytest

from app import cdk_json_context
from lake_layout import CHANNELS
from stacks.config import stage_config
from stacks.constructs.ml.training_job import TrainingInputs, training_job_definition
from training_metrics import GATE_METRIC

INPUTS = TrainingInputs(
    curated_uri="s3://curated/curated_reviews/",
    output_uri="s3://models/training-jobs/",
    checkpoint_uri="s3://models/checkpoints/",
    source_uri="s3://assets/source.tar.gz",
    training_image="image:train",
    inference_image="image:serve",
    role_arn="arn:role",
    key_arn="arn:key",
)


@pytest.fixture
def training():
    return stage_config(cdk_json_context(), "prod").training


def test_spot_sets_a_wait_and_a_checkpoint_folder_per_job(training):
    definition = training_job_definition(dataclasses.replace(training, use_spot=True), INPUTS)
    assert definition["EnableManagedSpotTraining"] is True
    stopping = definition["StoppingCondition"]
    assert stopping["MaxWaitTimeInSeconds"] == training.max_wait_seconds
    assert definition["CheckpointConfig"]["S3Uri.$"] == (
        "States.Format('s3://models/checkpoints/{}/', $.job.name)"
    )


def test_on_demand_has_no_wait_and_no_checkpoints(training):
    definition = training_job_definition(dataclasses.replace(training, use_spot=False), INPUTS)
    assert definition["EnableManagedSpotTraining"] is False
    assert "MaxWaitTimeInSeconds" not in definition["StoppingCondition"]
    assert "CheckpointConfig" not in definition


def test_volumes_and_output_are_encrypted_and_channels_follow_the_lake(training):
    definition = training_job_definition(training, INPUTS)
    assert definition["OutputDataConfig"]["KmsKeyId"] == "arn:key"
    assert definition["ResourceConfig"]["VolumeKmsKeyId"] == "arn:key"
    uris = [c["DataSource"]["S3DataSource"]["S3Uri"] for c in definition["InputDataConfig"]]
    assert uris == [f"s3://curated/curated_reviews/{channel}/" for channel in CHANNELS]
    assert definition["AlgorithmSpecification"]["MetricDefinitions"] == [GATE_METRIC]


def test_the_bands_target_accuracy_reaches_train_py(training, tmp_path, monkeypatch):
    target = dataclasses.replace(training, uncertainty_target_accuracy=0.95)
    parameters = training_job_definition(target, INPUTS)["HyperParameters"]
    assert parameters["uncertainty-target-accuracy"] == "0.95"
    # The toolkit passes it as `--uncertainty-target-accuracy 0.95`, which train.py reads.
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(tmp_path))
    import train

    args = train.parse_args(["--uncertainty-target-accuracy", "0.95"])
    assert args.uncertainty_target_accuracy == 0.95
