"""Pipeline fragment: name the job, then train on spot (or tune), waiting for the result.

The CDK's SageMakerCreateTrainingJob task has no spot or checkpoint settings, hence
CustomStates with the API's own parameters; a CustomState adds no IAM, so `grant_to`
gives the state machine's role what the `.sync` integrations need.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.config import TrainingConfig
from stacks.constructs.ml.steps import Steps, grant_sync_rules
from stacks.constructs.ml.training_job import (
    SAGEMAKER_RETRY,
    TRAINING_RESULT,
    TUNING_RANGES,
    TrainingInputs,
    training_job_definition,
)
from training_metrics import GATE_METRIC

JOB_NAME_PREFIX = "sentiment"


class TrainModel(Steps):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrainingConfig,
        inputs: TrainingInputs,
        on_failure: sfn.IChainable,
    ) -> None:
        super().__init__(scope, construct_id)
        self._tuning = config.tuning_enabled
        self._inputs = inputs
        name_job = sfn.Pass(
            self,
            "NameTrainingJob",
            parameters={
                "name": sfn.JsonPath.format(f"{JOB_NAME_PREFIX}-{{}}", sfn.JsonPath.uuid()),
                # Tuning job names are limited to 32 characters.
                "tuning_name": sfn.JsonPath.format(
                    f"{JOB_NAME_PREFIX}-{{}}",
                    sfn.JsonPath.array_get_item(
                        sfn.JsonPath.string_split(sfn.JsonPath.uuid(), "-"), 0
                    ),
                ),
            },
            result_path="$.job",
        )
        definition = training_job_definition(config, inputs)
        steps: list[sfn.CustomState | tasks.CallAwsService]
        if self._tuning:
            steps = [self._tuning_state(config, definition), self._best_job_state()]
        else:
            steps = [self._training_state(definition)]
        for step in steps:
            step.add_catch(on_failure, errors=["States.ALL"], result_path="$.error")
        chain: sfn.Chain = name_job.next(steps[0])
        for step in steps[1:]:
            chain = chain.next(step)
        self._bounds(name_job, steps[-1])

    def _sync_task(
        self, construct_id: str, api: str, parameters: dict[str, Any], **rest: Any
    ) -> sfn.CustomState:
        return sfn.CustomState(
            self,
            construct_id,
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Aws.PARTITION}:states:::sagemaker:{api}.sync",
                "Parameters": parameters,
                "Retry": [SAGEMAKER_RETRY],
                **rest,
            },
        )

    def _training_state(self, definition: dict[str, Any]) -> sfn.CustomState:
        """createTrainingJob.sync with managed spot and checkpoints."""
        return self._sync_task(
            "TrainModel",
            "createTrainingJob",
            {"TrainingJobName.$": "$.job.name", **definition},
            ResultSelector=TRAINING_RESULT,
            ResultPath="$.training",
        )

    def _tuning_state(self, config: TrainingConfig, definition: dict[str, Any]) -> sfn.CustomState:
        """createHyperParameterTuningJob.sync: Bayesian search for validation accuracy."""
        job = {k: v for k, v in definition.items() if k != "HyperParameters"}
        # Trials share the tuning job's evaluation folder: static hyperparameters cannot
        # name a trial, so the registry's ModelMetrics show the last trial to finish.
        job["StaticHyperParameters"] = {
            name: value.replace("$.job.name", "$.job.tuning_name")
            for name, value in definition["HyperParameters"].items()
        }
        if "CheckpointConfig" in job:
            # Parallel trials must not share one checkpoint folder: one per tuning job,
            # and SageMaker gives each trial its own subfolder.
            job["CheckpointConfig"] = {
                "S3Uri.$": job["CheckpointConfig"]["S3Uri.$"].replace(
                    "$.job.name", "$.job.tuning_name"
                )
            }
        return self._sync_task(
            "TuneModel",
            "createHyperParameterTuningJob",
            {
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
            ResultSelector={"best_job.$": "$.BestTrainingJob.TrainingJobName"},
            ResultPath="$.tuning",
        )

    def _best_job_state(self) -> tasks.CallAwsService:
        """The best trial, in the same shape as a plain training result."""
        return tasks.CallAwsService(
            self,
            "DescribeBestModel",
            service="sagemaker",
            action="describeTrainingJob",
            parameters={"TrainingJobName": sfn.JsonPath.string_at("$.tuning.best_job")},
            iam_resources=[self._job_arn("training-job")],
            result_selector={k[:-2]: sfn.JsonPath.string_at(v) for k, v in TRAINING_RESULT.items()},
            result_path="$.training",
        )

    def _job_arn(self, kind: str) -> str:
        return Stack.of(self).format_arn(
            service="sagemaker", resource=kind, resource_name=f"{JOB_NAME_PREFIX}-*"
        )

    def grant_to(self, machine_role: iam.IRole) -> None:
        """What the CustomStates' .sync integrations need (AWS-FACTS: Step Functions)."""
        jobs = {
            "training-job": [
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
                "sagemaker:AddTags",
            ]
        }
        rules = ["TrainingJobs"]
        if self._tuning:
            jobs["hyper-parameter-tuning-job"] = [
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                "sagemaker:AddTags",
            ]
            rules.append("TuningJobs")
        for kind, actions in jobs.items():
            machine_role.add_to_principal_policy(
                iam.PolicyStatement(actions=actions, resources=[self._job_arn(kind)])
            )
        grant_sync_rules(machine_role, self, rules)
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self._inputs.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
