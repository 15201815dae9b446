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
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import TrainingConfig
from stacks.constructs.ml.pipeline_notice import notice
from stacks.constructs.ml.prepare_data import PrepareData
from stacks.constructs.ml.register_model import RegisterModel
from stacks.constructs.ml.train_model import TrainModel
from stacks.constructs.ml.training_job import TrainingInputs
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group
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
        topic: sns.ITopic,
        key: kms.IKey,
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        notify_failure = notice(
            self,
            "NotifyFailure",
            topic=topic,
            subject="Training pipeline failed",
            fields={
                "execution": sfn.JsonPath.execution_id,
                "error": sfn.JsonPath.string_at("$.error.Error"),
                "cause": sfn.JsonPath.string_at("$.error.Cause"),
            },
        ).next(sfn.Fail(self, "PipelineFailed", error="PipelineFailed"))

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
                    topic=topic,
                    on_failure=notify_failure,
                )
            )
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="ETL -> train on spot -> evaluate -> register -> notify",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.minutes(config.pipeline_timeout_minutes),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=secure_log_group(self, "ExecutionLogs", key=key, retention=retention),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        train.grant_to(self.state_machine.role)
        # The topic is KMS-encrypted: SnsPublish grants sns:Publish only, and a publish
        # without the key fails, so a good run would register its model and then fail.
        topic.grant_publish(self.state_machine.role)
