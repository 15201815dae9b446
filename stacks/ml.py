"""Training on SageMaker: execution role, Model Registry group, orchestrated pipeline."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from lake_layout import CHECKPOINT_PREFIX, CURATED_TABLE, TRAINING_OUTPUT_PREFIX
from stacks import nag
from stacks.config import EtlConfig, TrainingConfig
from stacks.constructs.ml.training_job import TrainingInputs
from stacks.constructs.ml.training_pipeline import TrainingPipeline
from stacks.constructs.ml.training_role import TRAINING_LOG_GROUP, training_role
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.constructs.shared.source_bundle import SourceBundle
from stacks.outputs import DataLake, Etl, Ml
from stacks.source_paths import COMMON, TRAINING

# The shared rules train.py imports, shipped flat beside it in the source bundle.
SHARED_MODULES = (
    "text_normalization.py",
    "review_labels.py",
    "training_metrics.py",
    "lake_layout.py",
)

_TRAINING_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (CURATED_TABLE, TRAINING_OUTPUT_PREFIX, CHECKPOINT_PREFIX),
        "Training reads every file of its channels and writes artifacts and checkpoints "
        "under job-named keys not known in advance; limited to one prefix each.",
    ),
    **nag.asset_bucket("CDK's asset bucket: the training job downloads its source bundle."),
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


def training_source_files() -> dict:
    """Archive name -> file: train.py, the model's modules and the shared rules."""
    files = sorted(TRAINING.glob("*.py")) + [COMMON / name for name in SHARED_MODULES]
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
        lake: DataLake,
        etl: Etl,
        topic: sns.ITopic,
        retention: Retention,
        serving_instance_types: tuple[str, ...],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = SklearnImage(self, "SklearnImage", version=config.sklearn_framework_version)
        source = SourceBundle(self, "TrainingSource", files=training_source_files())
        role = training_role(self, "SageMakerRole", lake=lake, source=source.asset, image=image)
        group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            # The registry needs a name; the stack name keeps stages apart.
            model_package_group_name=f"{self.stack_name}-sentiment",
            model_package_group_description="Sentiment models that passed the accuracy gate",
        )
        group.apply_removal_policy(retention.removal_policy)
        models = lake.buckets.models
        pipeline = TrainingPipeline(
            self,
            "Pipeline",
            config=config,
            inputs=TrainingInputs(
                curated_uri=lake.buckets.curated.s3_url_for_object(f"{CURATED_TABLE}/"),
                output_uri=models.s3_url_for_object(f"{TRAINING_OUTPUT_PREFIX}/"),
                checkpoint_uri=models.s3_url_for_object(f"{CHECKPOINT_PREFIX}/"),
                source_uri=source.s3_url,
                training_image=image.training_uri,
                inference_image=image.inference_uri,
                role_arn=role.role_arn,
                key_arn=lake.key.key_arn,
            ),
            etl=etl,
            database=lake.database,
            group=group,
            serving_instance_types=serving_instance_types,
            topic=topic,
            key=lake.key,
            retention=retention,
        )
        machine = pipeline.state_machine
        if etl_config.trigger == "on_upload":
            events.Rule(
                self,
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
                self,
                "Scheduled",
                description="Retrains on the stage's schedule",
                schedule=events.Schedule.expression(config.schedule),
                targets=[targets.SfnStateMachine(machine)],
            )
        nag.acknowledge_policy_wildcards(role, _TRAINING_ROLE_WILDCARDS)
        nag.acknowledge_policy_wildcards(machine.role, _PIPELINE_ROLE_WILDCARDS)
        CfnOutput(self, "PipelineArn", value=machine.state_machine_arn)
        CfnOutput(self, "ModelPackageGroupName", value=group.model_package_group_name)
        self.outputs = Ml(state_machine=machine, model_package_group=group)
