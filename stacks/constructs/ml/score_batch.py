"""Batch scoring fragment: a model from the package, a Transform job over the input.

NameRun -> CreateModel -> Transform (waits) -> DeleteModel; a failed Transform deletes
the model too. The Transform is a CustomState with the API's own parameters: the CDK's
SageMakerCreateTransformJob task cannot take the compression from the execution input
(its CompressionType is an enum fixed at synth) and has no DataProcessing; a CustomState
adds no IAM, so `grant_to` gives the machine's role what `.sync` needs.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.config import BatchConfig
from stacks.constructs.ml.steps import Steps, grant_sync_rules
from stacks.constructs.ml.training_job import SAGEMAKER_RETRY
from stacks.constructs.ml.transform_job import RUN_NAME_PREFIX, transform_job_request

# YYYY-MM-DD of the execution's start (an ISO 8601 timestamp) and the execution's name.
_RUN_DATE = "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"
_RUN_ID = "$$.Execution.Name"


class ScoreBatch(Steps):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BatchConfig,
        model_role: iam.IRole,
        output_uri: str,
        key_arn: str,
        environment: Mapping[str, str],
        tags: Mapping[str, str],
        on_failure: sfn.IChainable,
    ) -> None:
        super().__init__(scope, construct_id)
        name_run = sfn.Pass(
            self,
            "NameRun",
            parameters={
                "id.$": _RUN_ID,
                "date.$": _RUN_DATE,
                "name.$": f"States.Format('{RUN_NAME_PREFIX}-{{}}', States.UUID())",
                # <predictions>/scored_reviews/run_date=YYYY-MM-DD/run_id=<execution name>/
                "output_uri.$": f"States.Format('{output_uri}run_date={{}}/run_id={{}}/', "
                f"{_RUN_DATE}, {_RUN_ID})",
            },
            result_path="$.run",
        )
        create_model = tasks.CallAwsService(
            self,
            "CreateModel",
            service="sagemaker",
            action="createModel",
            parameters={
                "ModelName": sfn.JsonPath.string_at("$.run.name"),
                "ExecutionRoleArn": model_role.role_arn,
                "PrimaryContainer": {"ModelPackageName": sfn.JsonPath.string_at("$.package.arn")},
                # Code and model come inside model.tar.gz: the container needs no network.
                "EnableNetworkIsolation": True,
            },
            iam_resources=[self._arn("model")],
            additional_iam_statements=[
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[model_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                )
            ],
            result_path=sfn.JsonPath.DISCARD,
        )
        transform = sfn.CustomState(
            self,
            "Transform",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Aws.PARTITION}:states:::sagemaker:createTransformJob.sync",
                "Parameters": transform_job_request(
                    config, key_arn=key_arn, environment=environment, tags=tags
                ),
                "TimeoutSeconds": config.timeout_minutes * 60,
                "Retry": [SAGEMAKER_RETRY],
                "ResultSelector": {"job.$": "$.TransformJobName"},
                "ResultPath": "$.transform",
            },
        )
        # Models cost nothing but count against an account quota: one per run adds up, so
        # the run's model goes whether the transform succeeded or failed.
        delete_model = self._delete_model("DeleteModel")
        delete_after_failure = self._delete_model("DeleteModelAfterFailure")
        # A clean-up that fails still reports the transform's error, not its own.
        delete_after_failure.add_catch(
            on_failure, errors=["States.ALL"], result_path="$.cleanup_error"
        )
        delete_after_failure.next(on_failure)
        transform.add_catch(delete_after_failure, errors=["States.ALL"], result_path="$.error")
        for task in (create_model, delete_model):
            task.add_catch(on_failure, errors=["States.ALL"], result_path="$.error")
        name_run.next(create_model).next(transform).next(delete_model)
        self._bounds(name_run, delete_model)

    def _delete_model(self, construct_id: str) -> tasks.CallAwsService:
        delete = tasks.CallAwsService(
            self,
            construct_id,
            service="sagemaker",
            action="deleteModel",
            parameters={"ModelName": sfn.JsonPath.string_at("$.run.name")},
            iam_resources=[self._arn("model")],
            result_path=sfn.JsonPath.DISCARD,
        )
        # A throttled delete must not fail a run whose predictions are written.
        delete.add_retry(
            errors=["States.ALL"], interval=Duration.seconds(5), max_attempts=3, backoff_rate=2
        )
        return delete

    def _arn(self, kind: str) -> str:
        return Stack.of(self).format_arn(
            service="sagemaker", resource=kind, resource_name=f"{RUN_NAME_PREFIX}-*"
        )

    def grant_to(self, machine_role: iam.IRole) -> None:
        """What the Transform CustomState's .sync integration needs (AWS-FACTS)."""
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateTransformJob",
                    "sagemaker:DescribeTransformJob",
                    "sagemaker:StopTransformJob",
                    "sagemaker:AddTags",
                    "sagemaker:ListTags",
                ],
                resources=[self._arn("transform-job")],
            )
        )
        grant_sync_rules(machine_role, self, ["TransformJobs"])
