"""The training pipeline as a Step Functions state machine, assembled from fragments.

PrepareData (ETL, catalog, quality check) -> TrainModel (spot, or tuning) ->
RegisterModel (gate, Model Registry, SNS). Every task's failure path notifies the topic
and fails the execution.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import TrainingConfig
from stacks.constructs.ml.logged_machine import logged_state_machine
from stacks.constructs.ml.pipeline_notice import failure_notice
from stacks.constructs.ml.prepare_data import PrepareData
from stacks.constructs.ml.register_model import RegisterModel
from stacks.constructs.ml.train_model import TrainModel
from stacks.constructs.ml.training_job import TrainingInputs
from stacks.constructs.shared.retention import Retention
from stacks.outputs import Etl


class TrainingPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrainingConfig,
        inputs: TrainingInputs,
        etl: Etl,
        database: glue.IDatabase,
        group: sagemaker.CfnModelPackageGroup,
        serving_instance_types: tuple[str, ...],
        transform_instance_types: tuple[str, ...],
        topic: sns.ITopic,
        key: kms.IKey,
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        notify_failure = failure_notice(
            self,
            topic=topic,
            subject="Training pipeline failed",
            fail_state="PipelineFailed",
            error="PipelineFailed",
        )
        train = TrainModel(self, "Train", config=config, inputs=inputs, on_failure=notify_failure)
        definition = (
            PrepareData(self, "Prepare", etl=etl, database=database, on_failure=notify_failure)
            .next(train)
            .next(
                RegisterModel(
                    self,
                    "Register",
                    config=config,
                    group=group,
                    inference_image=inputs.inference_image,
                    serving_instance_types=serving_instance_types,
                    transform_instance_types=transform_instance_types,
                    topic=topic,
                    on_failure=notify_failure,
                )
            )
        )
        self.state_machine = logged_state_machine(
            self,
            definition=definition,
            comment="ETL -> train on spot -> evaluate -> register -> notify",
            timeout=Duration.minutes(config.pipeline_timeout_minutes),
            key=key,
            retention=retention,
        )
        train.grant_to(self.state_machine.role)
        # The topic is KMS-encrypted: SnsPublish grants sns:Publish only, and a publish
        # without the key fails, so a good run would register its model and then fail.
        topic.grant_publish(self.state_machine.role)
