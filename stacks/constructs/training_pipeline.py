"""The training pipeline as a Step Functions state machine.

ETL (Glue, wait) -> catalog refresh (crawler, wait) -> data-quality run (started) ->
SageMaker training on spot (wait) -> accuracy gate -> Model Registry -> SNS.
Every task's failure path notifies the topic and fails the execution.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.config import TrainingConfig
from training.train import METRIC_DEFINITIONS

# The one metric the training job reports to SageMaker and the gate reads: train.py keeps
# validation accuracy first. A single definition keeps FinalMetricDataList[0] unambiguous.
GATE_METRIC = METRIC_DEFINITIONS[0]
TRAINING_CHANNELS = ("train", "validation", "test")
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


@dataclass(frozen=True)
class TrainingInputs:
    """Where the pipeline finds its data and code, and where it writes."""

    curated_uri: str  # s3://.../curated_reviews/ (channels below it)
    output_uri: str  # s3://.../training-jobs/
    checkpoint_uri: str  # s3://.../checkpoints/
    source_uri: str  # s3://.../<hash>.tar.gz with train.py
    training_image: str
    inference_image: str


class TrainingPipeline(Construct):
    """State machine plus the IAM it needs beyond what the CDK task classes grant."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrainingConfig,
        inputs: TrainingInputs,
        sagemaker_role: iam.IRole,
        key: kms.IKey,
        etl_job: glue.IJob,
        crawler: glue.CfnCrawler,
        quality_ruleset_name: str,
        quality_role: iam.IRole,
        quality_table: tuple[str, str],
        model_package_group: str,
        topic: sns.ITopic,
        log_retention: logs.RetentionDays,
        retain_logs: bool,
        instance_types_for_serving: tuple[str, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        notify_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=topic,
            subject="Training pipeline failed",
            message=sfn.TaskInput.from_object(
                {
                    "execution": sfn.JsonPath.execution_id,
                    "error": sfn.JsonPath.string_at("$.error.Error"),
                    "cause": sfn.JsonPath.string_at("$.error.Cause"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        ).next(sfn.Fail(self, "PipelineFailed", error="PipelineFailed"))

        def guarded(task: sfn.TaskStateBase | sfn.CustomState) -> sfn.TaskStateBase:
            task.add_catch(notify_failure, errors=["States.ALL"], result_path="$.error")
            return task

        run_etl = guarded(
            tasks.GlueStartJobRun(
                self,
                "RunEtl",
                glue_job_name=etl_job.job_name,
                integration_pattern=sfn.IntegrationPattern.RUN_JOB,
                result_selector={
                    "run_id": sfn.JsonPath.string_at("$.Id"),
                    "state": sfn.JsonPath.string_at("$.JobRunState"),
                },
                result_path="$.etl",
            )
        )

        crawler_arn = stack.format_arn(
            service="glue", resource="crawler", resource_name=crawler.ref
        )
        start_crawler = tasks.CallAwsService(
            self,
            "RefreshCatalog",
            service="glue",
            action="startCrawler",
            parameters={"Name": crawler.ref},
            iam_resources=[crawler_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        wait_for_crawler = sfn.Wait(
            self, "WaitForCatalog", time=sfn.WaitTime.duration(Duration.seconds(30))
        )
        # A crawler already running (another trigger) is as good as one we started.
        start_crawler.add_catch(
            wait_for_crawler, errors=["Glue.CrawlerRunningException"], result_path="$.error"
        )
        guarded(start_crawler)
        get_crawler = guarded(
            tasks.CallAwsService(
                self,
                "CatalogState",
                service="glue",
                action="getCrawler",
                parameters={"Name": crawler.ref},
                iam_resources=[crawler_arn],
                result_selector={"state": sfn.JsonPath.string_at("$.Crawler.State")},
                result_path="$.crawler",
            )
        )

        database, table = quality_table
        check_quality = guarded(
            tasks.CallAwsService(
                self,
                "StartQualityCheck",
                service="glue",
                action="startDataQualityRulesetEvaluationRun",
                parameters={
                    "DataSource": {"GlueTable": {"DatabaseName": database, "TableName": table}},
                    "Role": quality_role.role_arn,
                    "RulesetNames": [quality_ruleset_name],
                },
                iam_resources=[
                    stack.format_arn(
                        service="glue",
                        resource="dataQualityRuleset",
                        resource_name=quality_ruleset_name,
                    )
                ],
                additional_iam_statements=[
                    iam.PolicyStatement(
                        actions=["iam:PassRole"],
                        resources=[quality_role.role_arn],
                        conditions={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
                    )
                ],
                # Results arrive later as an EventBridge event that the monitoring stack
                # turns into an alarm; training does not wait for them.
                result_selector={"run_id": sfn.JsonPath.string_at("$.RunId")},
                result_path="$.quality",
            )
        )

        name_job = sfn.Pass(
            self,
            "NameTrainingJob",
            parameters={
                "name": sfn.JsonPath.format("sentiment-{}", sfn.JsonPath.uuid()),
                # Tuning job names are limited to 32 characters.
                "tuning_name": sfn.JsonPath.format(
                    "sentiment-{}",
                    sfn.JsonPath.array_get_item(
                        sfn.JsonPath.string_split(sfn.JsonPath.uuid(), "-"), 0
                    ),
                ),
            },
            result_path="$.job",
        )
        definition = self._job_definition(config, inputs, sagemaker_role, key)
        if config.tuning_enabled:
            train = guarded(self._tuning_state(config, definition)).next(
                guarded(self._best_job_state())
            )
        else:
            train = guarded(self._training_state(definition))

        register = guarded(
            tasks.CallAwsService(
                self,
                "RegisterModel",
                service="sagemaker",
                action="createModelPackage",
                parameters={
                    "ModelPackageGroupName": model_package_group,
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
                    "InferenceSpecification": {
                        "Containers": [
                            {
                                "Image": inputs.inference_image,
                                "ModelDataUrl": sfn.JsonPath.string_at("$.training.model_data"),
                                # train.py packs inference.py into model.tar.gz under code/.
                                "Environment": serving_environment(),
                            }
                        ],
                        "SupportedContentTypes": ["application/json", "text/csv"],
                        "SupportedResponseMIMETypes": ["application/json"],
                        "SupportedRealtimeInferenceInstanceTypes": list(instance_types_for_serving),
                    },
                },
                iam_resources=[
                    stack.format_arn(
                        service="sagemaker",
                        resource="model-package-group",
                        resource_name=model_package_group,
                    ),
                    stack.format_arn(
                        service="sagemaker",
                        resource="model-package",
                        resource_name=f"{model_package_group}/*",
                    ),
                ],
                result_selector={"arn": sfn.JsonPath.string_at("$.ModelPackageArn")},
                result_path="$.registered",
            )
        )

        notify_success = tasks.SnsPublish(
            self,
            "NotifyRegistered",
            topic=topic,
            subject="New sentiment model registered",
            message=sfn.TaskInput.from_object(
                {
                    "model_package": sfn.JsonPath.string_at("$.registered.arn"),
                    "approval_status": config.approval_status,
                    "validation_accuracy": sfn.JsonPath.number_at("$.training.accuracy"),
                    "training_job": sfn.JsonPath.string_at("$.training.name"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        guarded(notify_success)
        notify_rejected = guarded(
            tasks.SnsPublish(
                self,
                "NotifyRejected",
                topic=topic,
                subject="Sentiment model below the accuracy gate",
                message=sfn.TaskInput.from_object(
                    {
                        "validation_accuracy": sfn.JsonPath.number_at("$.training.accuracy"),
                        "threshold": config.accuracy_threshold,
                        "training_job": sfn.JsonPath.string_at("$.training.name"),
                    }
                ),
                result_path=sfn.JsonPath.DISCARD,
            )
        )

        gate = (
            sfn.Choice(self, "AccuracyGate", comment="Register only models that pass")
            .when(
                sfn.Condition.number_greater_than_equals(
                    "$.training.accuracy", config.accuracy_threshold
                ),
                register.next(notify_success).next(sfn.Succeed(self, "ModelRegistered")),
            )
            .otherwise(
                notify_rejected.next(
                    sfn.Fail(self, "ModelRejected", error="BelowAccuracyThreshold")
                )
            )
        )

        catalog_ready = (
            sfn.Choice(self, "CatalogReady")
            .when(
                sfn.Condition.string_equals("$.crawler.state", "READY"),
                check_quality.next(name_job).next(train).next(gate),
            )
            .otherwise(wait_for_crawler)
        )
        wait_for_crawler.next(get_crawler).next(catalog_ready)
        definition = run_etl.next(start_crawler).next(wait_for_crawler)

        log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN if retain_logs else RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="ETL -> train on spot -> evaluate -> register -> notify",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.minutes(config.pipeline_timeout_minutes),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
        )
        self._grant_training(sagemaker_role, tuning=config.tuning_enabled)

    def _job_definition(
        self,
        config: TrainingConfig,
        inputs: TrainingInputs,
        role: iam.IRole,
        key: kms.IKey,
    ) -> dict:
        """CreateTrainingJob parameters shared by plain training and tuning."""
        # Script-mode hyperparameters are JSON-encoded, as the SageMaker SDK sends them.
        hyperparameters = {
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(inputs.source_uri),
            "sagemaker_container_log_level": "20",
            **{name: json.dumps(value) for name, value in config.hyperparameters.items()},
        }
        stopping = {"MaxRuntimeInSeconds": config.max_runtime_seconds}
        if config.use_spot:
            stopping["MaxWaitTimeInSeconds"] = config.max_wait_seconds
        definition = {
            "RoleArn": role.role_arn,
            "AlgorithmSpecification": {
                "TrainingImage": inputs.training_image,
                "TrainingInputMode": "File",
                "MetricDefinitions": [GATE_METRIC],
            },
            "HyperParameters": hyperparameters,
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "ContentType": "text/csv",
                    "CompressionType": "None",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"{inputs.curated_uri}{channel}/",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
                for channel in TRAINING_CHANNELS
            ],
            "OutputDataConfig": {"S3OutputPath": inputs.output_uri, "KmsKeyId": key.key_arn},
            "ResourceConfig": {
                "InstanceType": config.instance_type,
                "InstanceCount": config.instance_count,
                "VolumeSizeInGB": config.volume_size_gb,
                "VolumeKmsKeyId": key.key_arn,
            },
            "StoppingCondition": stopping,
            "EnableManagedSpotTraining": config.use_spot,
            "EnableInterContainerTrafficEncryption": True,
            "Environment": {"PYTHONUNBUFFERED": "1"},
        }
        if config.use_spot:
            # A reclaimed spot instance resumes with /opt/ml/checkpoints restored from here.
            definition["CheckpointConfig"] = {
                "S3Uri.$": f"States.Format('{inputs.checkpoint_uri}{{}}/', $.job.name)"
            }
        return definition

    def _training_state(self, definition: dict) -> sfn.CustomState:
        """createTrainingJob.sync with managed spot and checkpoints.

        The CDK's SageMakerCreateTrainingJob task has no spot or checkpoint settings,
        hence a CustomState with the API's own parameters.
        """
        return sfn.CustomState(
            self,
            "TrainModel",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Aws.PARTITION}:states:::sagemaker:createTrainingJob.sync",
                "Parameters": {"TrainingJobName.$": "$.job.name", **definition},
                "ResultSelector": _TRAINING_RESULT,
                "ResultPath": "$.training",
                "Retry": [_SAGEMAKER_RETRY],
            },
        )

    def _tuning_state(self, config: TrainingConfig, definition: dict) -> sfn.CustomState:
        """createHyperParameterTuningJob.sync: Bayesian search for validation accuracy."""
        job = {k: v for k, v in definition.items() if k != "HyperParameters"}
        job["StaticHyperParameters"] = definition["HyperParameters"]
        if "CheckpointConfig" in job:
            # Parallel trials must not share one checkpoint folder: one per tuning job,
            # and SageMaker gives each trial its own subfolder.
            job["CheckpointConfig"] = {
                "S3Uri.$": job["CheckpointConfig"]["S3Uri.$"].replace(
                    "$.job.name", "$.job.tuning_name"
                )
            }
        return sfn.CustomState(
            self,
            "TuneModel",
            state_json={
                "Type": "Task",
                "Resource": (
                    f"arn:{Aws.PARTITION}:states:::sagemaker:createHyperParameterTuningJob.sync"
                ),
                "Parameters": {
                    "HyperParameterTuningJobName.$": "$.job.tuning_name",
                    "HyperParameterTuningJobConfig": {
                        "Strategy": "Bayesian",
                        "HyperParameterTuningJobObjective": {
                            "Type": "Maximize",
                            "MetricName": GATE_METRIC["Name"],
                        },
                        "ResourceLimits": {
                            "MaxNumberOfTrainingJobs": config.tuning_max_jobs,
                            "MaxParallelTrainingJobs": config.tuning_max_parallel_jobs,
                        },
                        "ParameterRanges": TUNING_RANGES,
                    },
                    "TrainingJobDefinition": job,
                },
                "ResultSelector": {"best_job.$": "$.BestTrainingJob.TrainingJobName"},
                "ResultPath": "$.tuning",
                "Retry": [_SAGEMAKER_RETRY],
            },
        )

    def _best_job_state(self) -> tasks.CallAwsService:
        """The best trial, in the same shape as a plain training result."""
        return tasks.CallAwsService(
            self,
            "DescribeBestModel",
            service="sagemaker",
            action="describeTrainingJob",
            parameters={"TrainingJobName": sfn.JsonPath.string_at("$.tuning.best_job")},
            iam_resources=[
                Stack.of(self).format_arn(
                    service="sagemaker", resource="training-job", resource_name="sentiment-*"
                )
            ],
            result_selector={
                k[:-2]: sfn.JsonPath.string_at(v) for k, v in _TRAINING_RESULT.items()
            },
            result_path="$.training",
        )

    def _grant_training(self, sagemaker_role: iam.IRole, *, tuning: bool) -> None:
        """What a CustomState cannot add itself: the .sync integration's permissions."""
        stack = Stack.of(self)
        machine_role = self.state_machine.role
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:AddTags",
                ],
                resources=[
                    stack.format_arn(
                        service="sagemaker", resource="training-job", resource_name="sentiment-*"
                    )
                ],
            )
        )
        if tuning:
            machine_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[
                        "sagemaker:CreateHyperParameterTuningJob",
                        "sagemaker:DescribeHyperParameterTuningJob",
                        "sagemaker:StopHyperParameterTuningJob",
                        "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                        "sagemaker:AddTags",
                    ],
                    resources=[
                        stack.format_arn(
                            service="sagemaker",
                            resource="hyper-parameter-tuning-job",
                            resource_name="sentiment-*",
                        )
                    ],
                )
            )
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name=f"StepFunctionsGetEventsForSageMaker{kind}Rule",
                    )
                    for kind in ("TrainingJobs", *(("TuningJobs",) if tuning else ()))
                ],
            )
        )
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[sagemaker_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )


# What the pipeline keeps of a DescribeTrainingJob answer, for the gate and the registry.
_TRAINING_RESULT = {
    "name.$": "$.TrainingJobName",
    "model_data.$": "$.ModelArtifacts.S3ModelArtifacts",
    "accuracy.$": "$.FinalMetricDataList[0].Value",
    "billable_seconds.$": "$.BillableTimeInSeconds",
}
_SAGEMAKER_RETRY = {
    "ErrorEquals": ["SageMaker.AmazonSageMakerException"],
    "IntervalSeconds": 60,
    "MaxAttempts": 2,
    "BackoffRate": 2.0,
}


def serving_environment() -> Mapping[str, str]:
    """Container environment that makes the scikit-learn image serve inference.py."""
    return {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
    }
