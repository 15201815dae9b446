"""The SageMaker training job the pipeline starts: its request, search space and serving.

Pure data: the CreateTrainingJob parameters (with spot, checkpoints and KMS), the
hyperparameter ranges the optional tuning step searches, and the environment that makes
the scikit-learn image serve the model's own inference.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lake_layout import CHANNELS
from stacks.config import TrainingConfig
from training_metrics import GATE_METRIC

# Searched by the optional tuning step (train.py's hyperparameters; the defaults came
# from cross-validation on IMDb train).
TUNING_RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "word-c", "MinValue": "4", "MaxValue": "512", "ScalingType": "Logarithmic"},
        {"Name": "char-c", "MinValue": "4", "MaxValue": "512", "ScalingType": "Logarithmic"},
        {"Name": "network-weight", "MinValue": "0.4", "MaxValue": "0.9", "ScalingType": "Linear"},
    ],
    "IntegerParameterRanges": [
        {"Name": "network-epochs", "MinValue": "2", "MaxValue": "5", "ScalingType": "Linear"},
        {"Name": "network-hidden-units", "MinValue": "16", "MaxValue": "64", "ScalingType": "Auto"},
    ],
}
# train.py uploads its evaluation report (evaluation.json, plots, HTML) to this S3 folder:
# training-jobs/<job>/evaluation/, beside the job's own output. A tuning job's trials share
# training-jobs/<tuning job>/evaluation/ (see train_model.py).
EVALUATION_HYPERPARAMETER = "evaluation-s3-uri"
# What the pipeline keeps of a DescribeTrainingJob answer, for the gate and the registry.
TRAINING_RESULT = {
    "name.$": "$.TrainingJobName",
    "model_data.$": "$.ModelArtifacts.S3ModelArtifacts",
    "accuracy.$": "$.FinalMetricDataList[0].Value",
    "billable_seconds.$": "$.BillableTimeInSeconds",
    # Where the job was told to write evaluation.json: the registry's ModelMetrics.
    "evaluation_uri.$": f"$.HyperParameters['{EVALUATION_HYPERPARAMETER}']",
}
SAGEMAKER_RETRY = {
    "ErrorEquals": ["SageMaker.AmazonSageMakerException"],
    "IntervalSeconds": 60,
    "MaxAttempts": 2,
    "BackoffRate": 2.0,
}


@dataclass(frozen=True)
class TrainingInputs:
    """Where the job finds its data and code, and where it writes (s3:// URLs)."""

    curated_uri: str  # .../curated_reviews/ (channels below it)
    output_uri: str  # .../training-jobs/
    checkpoint_uri: str  # .../checkpoints/
    source_uri: str  # .../<hash>.tar.gz with train.py
    training_image: str
    inference_image: str
    role_arn: str
    key_arn: str
    # Added to the job's environment: MLflow's tracking URI and experiment, when on.
    environment: Mapping[str, str] = field(default_factory=dict)


def serving_environment() -> Mapping[str, str]:
    """Container environment that makes the scikit-learn image serve inference.py."""
    return {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
    }


def training_job_definition(config: TrainingConfig, inputs: TrainingInputs) -> dict[str, Any]:
    """CreateTrainingJob parameters shared by plain training and tuning (name excluded)."""
    # Script-mode hyperparameters are JSON-encoded, as the SageMaker SDK sends them.
    hyperparameters = {
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_submit_directory": json.dumps(inputs.source_uri),
        "sagemaker_container_log_level": "20",
        # The band's target (training.uncertainty_target_accuracy); a hyperparameter of
        # the same name in training.hyperparameters wins, as it is written later.
        "uncertainty-target-accuracy": json.dumps(config.uncertainty_target_accuracy),
        **{name: json.dumps(value) for name, value in config.hyperparameters.items()},
        # Built from the job's name at run time. A plain string, not JSON: the training
        # toolkit passes a value that is not JSON through unchanged.
        f"{EVALUATION_HYPERPARAMETER}.$": (
            f"States.Format('{inputs.output_uri}{{}}/evaluation/', $.job.name)"
        ),
    }
    stopping = {"MaxRuntimeInSeconds": config.max_runtime_seconds}
    if config.use_spot:
        stopping["MaxWaitTimeInSeconds"] = config.max_wait_seconds
    definition: dict[str, Any] = {
        "RoleArn": inputs.role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": inputs.training_image,
            "TrainingInputMode": "File",
            # One definition keeps FinalMetricDataList[0] the gate's metric.
            "MetricDefinitions": [GATE_METRIC],
        },
        "HyperParameters": hyperparameters,
        "InputDataConfig": [_channel(inputs.curated_uri, channel) for channel in CHANNELS],
        "OutputDataConfig": {"S3OutputPath": inputs.output_uri, "KmsKeyId": inputs.key_arn},
        "ResourceConfig": {
            "InstanceType": config.instance_type,
            "InstanceCount": config.instance_count,
            "VolumeSizeInGB": config.volume_size_gb,
            "VolumeKmsKeyId": inputs.key_arn,
        },
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": config.use_spot,
        "EnableInterContainerTrafficEncryption": True,
        "Environment": {"PYTHONUNBUFFERED": "1", **inputs.environment},
    }
    if config.use_spot:
        # A reclaimed spot instance resumes with /opt/ml/checkpoints restored from here.
        definition["CheckpointConfig"] = {
            "S3Uri.$": f"States.Format('{inputs.checkpoint_uri}{{}}/', $.job.name)"
        }
    return definition


def _channel(curated_uri: str, channel: str) -> dict[str, Any]:
    return {
        "ChannelName": channel,
        "ContentType": "text/csv",
        "CompressionType": "None",
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": f"{curated_uri}{channel}/",
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }
