"""Pipeline fragment: the accuracy gate, then the Model Registry and a notification.

AccuracyGate -> RegisterModel -> NotifyRegistered -> ModelRegistered, or NotifyRejected
-> ModelRejected when validation accuracy is below the stage's threshold.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.config import TrainingConfig
from stacks.constructs.ml.pipeline_notice import notice
from stacks.constructs.ml.steps import Steps
from stacks.constructs.ml.training_job import serving_environment
from stacks.constructs.ml.transform_job import JSON_LINES


def inference_specification(
    image: str, serving_instance_types: tuple[str, ...], transform_instance_types: tuple[str, ...]
) -> dict[str, Any]:
    """How a registered package serves: inference.py answers JSON and CSV requests on the
    endpoint and JSON Lines in Batch Transform, on the stage's instance types."""
    return {
        "Containers": [
            {
                "Image": image,
                "ModelDataUrl": sfn.JsonPath.string_at("$.training.model_data"),
                # train.py packs inference.py into model.tar.gz under code/.
                "Environment": serving_environment(),
            }
        ],
        "SupportedContentTypes": ["application/json", "text/csv", JSON_LINES],
        "SupportedResponseMIMETypes": ["application/json", JSON_LINES],
        "SupportedRealtimeInferenceInstanceTypes": list(serving_instance_types),
        "SupportedTransformInstanceTypes": list(transform_instance_types),
    }


class RegisterModel(Steps):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrainingConfig,
        group: sagemaker.CfnModelPackageGroup,
        inference_image: str,
        serving_instance_types: tuple[str, ...],
        transform_instance_types: tuple[str, ...],
        topic: sns.ITopic,
        on_failure: sfn.IChainable,
    ) -> None:
        super().__init__(scope, construct_id)
        training = "$.training"
        register = self._register(
            config,
            group,
            inference_specification(
                inference_image, serving_instance_types, transform_instance_types
            ),
        )
        notify_registered = notice(
            self,
            "NotifyRegistered",
            topic=topic,
            subject="New sentiment model registered",
            fields={
                "model_package": sfn.JsonPath.string_at("$.registered.arn"),
                "approval_status": config.approval_status,
                "validation_accuracy": sfn.JsonPath.number_at(f"{training}.accuracy"),
                "training_job": sfn.JsonPath.string_at(f"{training}.name"),
            },
        )
        notify_rejected = notice(
            self,
            "NotifyRejected",
            topic=topic,
            subject="Sentiment model below the accuracy gate",
            fields={
                "validation_accuracy": sfn.JsonPath.number_at(f"{training}.accuracy"),
                "threshold": config.accuracy_threshold,
                "training_job": sfn.JsonPath.string_at(f"{training}.name"),
            },
        )
        for task in (register, notify_registered, notify_rejected):
            task.add_catch(on_failure, errors=["States.ALL"], result_path="$.error")
        gate = (
            sfn.Choice(self, "AccuracyGate", comment="Register only models that pass")
            .when(
                sfn.Condition.number_greater_than_equals(
                    f"{training}.accuracy", config.accuracy_threshold
                ),
                register.next(notify_registered).next(sfn.Succeed(self, "ModelRegistered")),
            )
            .otherwise(
                notify_rejected.next(
                    sfn.Fail(self, "ModelRejected", error="BelowAccuracyThreshold")
                )
            )
        )
        self._bounds(gate)  # every branch ends in Succeed or Fail

    def _register(
        self,
        config: TrainingConfig,
        group: sagemaker.CfnModelPackageGroup,
        specification: dict[str, Any],
    ) -> tasks.CallAwsService:
        stack = Stack.of(self)
        group_name = group.model_package_group_name
        return tasks.CallAwsService(
            self,
            "RegisterModel",
            service="sagemaker",
            action="createModelPackage",
            parameters={
                "ModelPackageGroupName": group_name,
                "ModelApprovalStatus": config.approval_status,
                "ModelPackageDescription": sfn.JsonPath.format(
                    "Training job {}, validation accuracy {}",
                    sfn.JsonPath.string_at("$.training.name"),
                    sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.training.accuracy")),
                ),
                "CustomerMetadataProperties": {
                    "training_job": sfn.JsonPath.string_at("$.training.name"),
                    "etl_run": sfn.JsonPath.string_at("$.etl.run_id"),
                },
                "InferenceSpecification": specification,
                # The Model Registry shows the report train.py uploaded for this job.
                "ModelMetrics": {
                    "ModelQuality": {
                        "Statistics": {
                            "ContentType": "application/json",
                            "S3Uri": sfn.JsonPath.format(
                                "{}evaluation.json",
                                sfn.JsonPath.string_at("$.training.evaluation_uri"),
                            ),
                        }
                    }
                },
            },
            iam_resources=[
                group.attr_model_package_group_arn,
                stack.format_arn(
                    service="sagemaker",
                    resource="model-package",
                    resource_name=f"{group_name}/*",
                ),
            ],
            result_selector={"arn": sfn.JsonPath.string_at("$.ModelPackageArn")},
            result_path="$.registered",
        )
