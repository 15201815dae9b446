"""Training on SageMaker: execution role, Model Registry group, orchestrated pipeline."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import EtlConfig, TrainingConfig
from stacks.constructs.framework_image import SklearnImage
from stacks.constructs.source_bundle import SourceBundle
from stacks.constructs.training_pipeline import TrainingInputs, TrainingPipeline
from stacks.etl import PROCESSED_TABLE, EtlStack
from stacks.nag import acknowledge_policy_wildcards

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = REPO_ROOT / "training"
TRAINING_OUTPUT_PREFIX = "training-jobs"
CHECKPOINT_PREFIX = "checkpoints"

_ROLE_WILDCARDS = {
    r"^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$": (
        "CDK's bucket grants use this action family; resources stay one bucket prefix."
    ),
    r"^Action::kms:(GenerateDataKey|ReEncrypt)\*$": (
        "CDK's key grants use this action family on the single lake key."
    ),
    rf"/(curated_reviews|{TRAINING_OUTPUT_PREFIX}|{CHECKPOINT_PREFIX})/\*$": (
        "Training reads every file of its channels and writes artifacts and checkpoints "
        "under job-named keys not known in advance; limited to one prefix each."
    ),
    r"^Resource::arn:<AWS::Partition>:s3:::cdk-\w+-assets-<AWS::AccountId>-<AWS::Region>/\*$": (
        "CDK's asset bucket: the training job downloads its own source bundle from it."
    ),
    r":log-group:/aws/sagemaker/TrainingJobs\*$": (
        "SageMaker names training log streams per job under this one log group prefix."
    ),
    r"^Resource::\*$": (
        "ecr:GetAuthorizationToken supports no resource-level permissions; pulling itself "
        "is limited to the scikit-learn framework repository."
    ),
    r":training-job/sentiment-\*$": (
        "The pipeline names each training job sentiment-<uuid> at run time."
    ),
    r":hyper-parameter-tuning-job/sentiment-\*$": (
        "The optional tuning step names each tuning job sentiment-<id> at run time."
    ),
    r":model-package/.*/\*$": (
        "Package versions are numbered by the Model Registry when the pipeline registers."
    ),
}


class MlStack(Stack):
    """SageMaker execution role, model package group and the training pipeline."""

    sagemaker_role: iam.Role
    model_package_group: sagemaker.CfnModelPackageGroup
    pipeline: TrainingPipeline
    image: SklearnImage

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrainingConfig,
        etl_config: EtlConfig,
        etl: EtlStack,
        key: kms.IKey,
        raw_bucket: s3.IBucket,
        curated_bucket: s3.IBucket,
        models_bucket: s3.IBucket,
        database_name: str,
        topic: sns.ITopic,
        log_retention: logs.RetentionDays,
        retain_data: bool,
        serving_instance_types: tuple[str, ...],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.image = SklearnImage(self, "SklearnImage", version=config.sklearn_framework_version)
        source = SourceBundle(
            self,
            "TrainingSource",
            files={
                path.name: path
                for path in [
                    *sorted(TRAINING_DIR.glob("*.py")),
                    REPO_ROOT / "common" / "text_normalization.py",
                ]
                if path.name != "run_local.py"
            },
        )

        self.sagemaker_role = iam.Role(
            self,
            "SageMakerRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Training jobs: read curated channels, write model artifacts",
        )
        curated_bucket.grant_read(self.sagemaker_role, "curated_reviews/*")
        models_bucket.grant_read_write(self.sagemaker_role, f"{TRAINING_OUTPUT_PREFIX}/*")
        models_bucket.grant_read_write(self.sagemaker_role, f"{CHECKPOINT_PREFIX}/*")
        source.asset.grant_read(self.sagemaker_role)
        key.grant_encrypt_decrypt(self.sagemaker_role)
        self.image.grant_pull(self.sagemaker_role)
        self.sagemaker_role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                    "log-group:/aws/sagemaker/TrainingJobs*"
                ],
            )
        )

        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            # The registry needs a name; the stack name keeps stages apart.
            model_package_group_name=f"{self.stack_name}-sentiment",
            model_package_group_description="Sentiment models that passed the accuracy gate",
        )

        self.pipeline = TrainingPipeline(
            self,
            "Pipeline",
            config=config,
            inputs=TrainingInputs(
                curated_uri=etl.curated_uri,
                output_uri=models_bucket.s3_url_for_object(f"{TRAINING_OUTPUT_PREFIX}/"),
                checkpoint_uri=models_bucket.s3_url_for_object(f"{CHECKPOINT_PREFIX}/"),
                source_uri=source.s3_url,
                training_image=self.image.training_uri,
                inference_image=self.image.inference_uri,
            ),
            sagemaker_role=self.sagemaker_role,
            key=key,
            etl_job=etl.job,
            crawler=etl.crawler,
            quality_ruleset_name=etl.ruleset.ruleset_name,
            quality_role=etl.quality_role,
            quality_table=(database_name, PROCESSED_TABLE),
            model_package_group=self.model_package_group.model_package_group_name,
            topic=topic,
            log_retention=log_retention,
            retain_logs=retain_data,
            instance_types_for_serving=serving_instance_types,
        )
        self.pipeline.node.add_dependency(self.model_package_group)
        state_machine = self.pipeline.state_machine

        if etl_config.trigger == "on_upload":
            events.Rule(
                self,
                "OnRawUpload",
                description="New raw reviews start the pipeline",
                event_pattern=events.EventPattern(
                    source=["aws.s3"],
                    detail_type=["Object Created"],
                    detail={"bucket": {"name": [raw_bucket.bucket_name]}},
                ),
                targets=[targets.SfnStateMachine(state_machine)],
            )
        if config.schedule:
            events.Rule(
                self,
                "Scheduled",
                description="Retrains on the stage's schedule",
                schedule=events.Schedule.expression(config.schedule),
                targets=[targets.SfnStateMachine(state_machine)],
            )

        acknowledge_policy_wildcards(self.sagemaker_role, _ROLE_WILDCARDS)
        acknowledge_policy_wildcards(state_machine.role, _ROLE_WILDCARDS)

        CfnOutput(self, "PipelineArn", value=state_machine.state_machine_arn)
        CfnOutput(
            self, "ModelPackageGroupName", value=self.model_package_group.model_package_group_name
        )
