"""SageMaker: execution role, Model Registry group, the training pipeline, batch scoring
and, where the stage tracks experiments, the MLflow App training logs to."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from lake_layout import (
    CHECKPOINT_PREFIX,
    CURATED_TABLE,
    MLFLOW_PREFIX,
    PREDICTIONS_TABLE,
    TRAINING_OUTPUT_PREFIX,
)
from stacks import nag
from stacks.config import BatchConfig, EtlConfig, TrainingConfig
from stacks.constructs.lake.lake_analytics import QUERY_RESULTS_PREFIX
from stacks.constructs.ml.batch_scoring import BatchScoring
from stacks.constructs.ml.experiment_tracking import ExperimentTracking, experiment_tracking
from stacks.constructs.ml.training_job import TrainingInputs
from stacks.constructs.ml.training_pipeline import TrainingPipeline
from stacks.constructs.ml.training_role import TRAINING_LOG_GROUP, training_role
from stacks.constructs.ml.transform_role import INPUT_PREFIXES, TRANSFORM_LOG_GROUP
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.constructs.shared.source_bundle import SourceBundle
from stacks.outputs import DataLake, Etl, Ml
from stacks.source_paths import COMMON, TRAINING

# The shared rules train.py imports, shipped flat beside it in the source bundle
# (training/training_outputs.py lists the same; a test keeps the two equal).
SHARED_MODULES = (
    "drift_features.py",
    "lake_layout.py",
    "review_labels.py",
    "text_normalization.py",
    "training_metrics.py",
)
# What the training toolkit pip-installs before train.py starts (MLflow and its plugin),
# shipped when training/ has it.
TRAINING_REQUIREMENTS = "requirements.txt"

_TRAINING_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (CURATED_TABLE, TRAINING_OUTPUT_PREFIX, CHECKPOINT_PREFIX, MLFLOW_PREFIX),
        "Training reads every file of its channels and writes artifacts, checkpoints and "
        "MLflow run artifacts under job- and run-named keys not known in advance; limited "
        "to one prefix each.",
    ),
    rf":log-group:{TRAINING_LOG_GROUP}\*$": (
        "SageMaker names training log streams per job under this one log group prefix."
    ),
    **nag.ECR_AUTHORIZATION_TOKEN,
}
_PIPELINE_ROLE_WILDCARDS = {
    **nag.KEY_GRANT_ACTIONS,
    r"^Resource::\*$": (
        "Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray "
        "tracing (xray:PutTraceSegments) support no resource-level permissions."
    ),
    r":training-job/sentiment-\*$": "The pipeline names each training job sentiment-<uuid>.",
    r":hyper-parameter-tuning-job/sentiment-\*$": (
        "The optional tuning step names each tuning job sentiment-<id> at run time."
    ),
    r":model-package/.*/\*$": (
        "Package versions are numbered by the Model Registry when the pipeline registers."
    ),
}


_BATCH_MACHINE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    r"^Resource::\*$": (
        "Step Functions log delivery (logs:CreateLogDelivery and friends), X-Ray tracing "
        "(xray:PutTraceSegments) and sagemaker:ListModelPackages (a list action; the call "
        "names this stage's group) support no resource-level permissions."
    ),
    r":(model|transform-job)/batch-\*$": (
        "Each run names its model and transform job batch-<uuid> at run time."
    ),
    **nag.under_prefixes(
        (QUERY_RESULTS_PREFIX,),
        "Athena writes each query's result under a query-id key in the results folder.",
    ),
}
_TRANSFORM_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (TRAINING_OUTPUT_PREFIX, *INPUT_PREFIXES.values(), PREDICTIONS_TABLE),
        "Transform reads a package's artifact under its training job's folder and every "
        "file of the prefix it scores, and writes <input>.out files per run; limited to "
        "one prefix each.",
    ),
    rf":log-group:{TRANSFORM_LOG_GROUP}\*$": (
        "SageMaker names transform log streams per job under this one log group prefix."
    ),
    **nag.ECR_AUTHORIZATION_TOKEN,
}
_MLFLOW_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (MLFLOW_PREFIX,), "MLflow names artifact keys per experiment and run at run time."
    ),
}


def training_source_files() -> dict:
    """Archive name -> file: train.py, the model's modules, the shared rules and, when
    there is one, the requirements file the training toolkit installs."""
    files = sorted(TRAINING.glob("*.py")) + [COMMON / name for name in SHARED_MODULES]
    requirements = TRAINING / TRAINING_REQUIREMENTS
    if requirements.is_file():
        files.append(requirements)
    return {path.name: path for path in files}


class MlStack(Stack):
    outputs: Ml

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrainingConfig,
        etl_config: EtlConfig,
        batch_config: BatchConfig,
        lake: DataLake,
        etl: Etl,
        topic: sns.ITopic,
        retention: Retention,
        serving_instance_types: tuple[str, ...],
        uncertainty_threshold: float | None,
        job_tags: Mapping[str, str],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = SklearnImage(self, "SklearnImage", version=config.sklearn_framework_version)
        source = SourceBundle(self, "TrainingSource", files=training_source_files())
        role = training_role(self, "SageMakerRole", lake=lake, source=source.asset, image=image)
        group = _model_package_group(self, retention)
        tracking = (
            experiment_tracking(self, "MlflowApp", lake=lake, retention=retention)
            if config.experiment_tracking
            else None
        )
        if tracking is not None:
            tracking.grant_logging(role, lake)
        pipeline = TrainingPipeline(
            self,
            "Pipeline",
            config=config,
            inputs=_training_inputs(lake, source, image, role, tracking),
            etl=etl,
            database=lake.database,
            group=group,
            serving_instance_types=serving_instance_types,
            transform_instance_types=(batch_config.instance_type,),
            topic=topic,
            key=lake.key,
            retention=retention,
        )
        _start_training(self, pipeline.state_machine, config, etl_config, lake)
        batch = BatchScoring(
            self,
            "BatchScoring",
            config=batch_config,
            lake=lake,
            image=image,
            group=group,
            topic=topic,
            retention=retention,
            # Batch answers with the endpoint's threshold when the stage overrides it.
            environment=_threshold_environment(uncertainty_threshold),
            tags=job_tags,
        )
        nag.acknowledge_policy_wildcards(role, _TRAINING_ROLE_WILDCARDS)
        nag.acknowledge_policy_wildcards(pipeline.state_machine.role, _PIPELINE_ROLE_WILDCARDS)
        _acknowledge_batch(batch, tracking)
        CfnOutput(self, "PipelineArn", value=pipeline.state_machine.state_machine_arn)
        CfnOutput(self, "BatchScoringArn", value=batch.state_machine.state_machine_arn)
        CfnOutput(self, "ModelPackageGroupName", value=group.model_package_group_name)
        self.outputs = Ml(
            state_machine=pipeline.state_machine,
            model_package_group=group,
            batch_scoring=batch.state_machine,
        )


def _model_package_group(stack: Stack, retention: Retention) -> sagemaker.CfnModelPackageGroup:
    group = sagemaker.CfnModelPackageGroup(
        stack,
        "ModelPackageGroup",
        # The registry needs a name; the stack name keeps stages apart.
        model_package_group_name=f"{stack.stack_name}-sentiment",
        model_package_group_description="Sentiment models that passed the accuracy gate",
    )
    group.apply_removal_policy(retention.removal_policy)
    return group


def _training_inputs(
    lake: DataLake,
    source: SourceBundle,
    image: SklearnImage,
    role: iam.IRole,
    tracking: ExperimentTracking | None,
) -> TrainingInputs:
    models = lake.buckets.models
    return TrainingInputs(
        curated_uri=lake.buckets.curated.s3_url_for_object(f"{CURATED_TABLE}/"),
        output_uri=models.s3_url_for_object(f"{TRAINING_OUTPUT_PREFIX}/"),
        checkpoint_uri=models.s3_url_for_object(f"{CHECKPOINT_PREFIX}/"),
        source_uri=source.s3_url,
        training_image=image.training_uri,
        inference_image=image.inference_uri,
        role_arn=role.role_arn,
        key_arn=lake.key.key_arn,
        environment=tracking.environment if tracking else {},
    )


def _start_training(
    stack: Stack,
    machine: sfn.IStateMachine,
    config: TrainingConfig,
    etl_config: EtlConfig,
    lake: DataLake,
) -> None:
    """New raw uploads and/or the stage's schedule start the pipeline."""
    if etl_config.trigger == "on_upload":
        events.Rule(
            stack,
            "OnRawUpload",
            description="New raw reviews start the pipeline",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [lake.buckets.raw.bucket_name]}},
            ),
            targets=[targets.SfnStateMachine(machine)],
        )
    if config.schedule:
        events.Rule(
            stack,
            "Scheduled",
            description="Retrains on the stage's schedule",
            schedule=events.Schedule.expression(config.schedule),
            targets=[targets.SfnStateMachine(machine)],
        )


def _threshold_environment(threshold: float | None) -> dict[str, str]:
    """inference.py reads UNCERTAINTY_THRESHOLD as the endpoint does (contract)."""
    return {} if threshold is None else {"UNCERTAINTY_THRESHOLD": str(threshold)}


def _acknowledge_batch(batch: BatchScoring, tracking: ExperimentTracking | None) -> None:
    nag.acknowledge_policy_wildcards(batch.state_machine.role, _BATCH_MACHINE_WILDCARDS)
    nag.acknowledge_policy_wildcards(batch.model_role, _TRANSFORM_ROLE_WILDCARDS)
    if tracking is not None:
        nag.acknowledge_policy_wildcards(tracking.role, _MLFLOW_ROLE_WILDCARDS)
