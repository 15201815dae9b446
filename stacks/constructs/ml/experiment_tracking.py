"""Experiment tracking: a SageMaker managed MLflow App that training jobs log to.

An MLflow App is serverless (it scales to zero, unlike a sized tracking server billed
by the hour). Its artifact store is the models bucket's `mlflow/` folder; runs' metadata
lives in the App, so the App keeps its logical id and the stage's removal policy.
Training reaches it through the `sagemaker-mlflow` plugin with `MLFLOW_TRACKING_URI`
set to the App's ARN; the plugin signs calls with the job's role, and MLflow's client
uploads artifacts to S3 itself, so that role needs the API and the artifact folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from lake_layout import MLFLOW_PREFIX
from stacks.constructs.shared.retention import Retention
from stacks.outputs import DataLake


@dataclass(frozen=True)
class ExperimentTracking:
    """What a training job needs to log to the App: its environment and a grant."""

    app: sagemaker.CfnMlflowApp
    # The App's own role (artifact store); acknowledged in the stack.
    role: iam.Role
    experiment_name: str

    @property
    def environment(self) -> dict[str, str]:
        return {
            "MLFLOW_TRACKING_URI": self.app.attr_arn,
            "MLFLOW_EXPERIMENT_NAME": self.experiment_name,
        }

    def grant_logging(self, role: iam.IRole, lake: DataLake) -> None:
        """The MLflow API on this App only, and the artifact folder (write, read back)."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:CallMlflowAppApi", "sagemaker:DescribeMlflowApp"],
                resources=[self.app.attr_arn],
            )
        )
        lake.buckets.models.grant_read(role, f"{MLFLOW_PREFIX}/*")
        lake.buckets.models.grant_put(role, f"{MLFLOW_PREFIX}/*")


def experiment_tracking(
    scope: Construct, construct_id: str, *, lake: DataLake, retention: Retention
) -> ExperimentTracking:
    """The App and its role, directly in `scope` so the App keeps its logical id."""
    stack = Stack.of(scope)
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="MLflow App: its artifact store, mlflow/ in the models bucket",
    )
    # MLflow deletes the artifacts of runs that users delete, hence read-write.
    lake.buckets.models.grant_read_write(role, f"{MLFLOW_PREFIX}/*")
    lake.key.grant_encrypt_decrypt(role)
    app = sagemaker.CfnMlflowApp(
        scope,
        construct_id,
        # The App needs a name; the stack name keeps stages apart in one account.
        name=f"{stack.stack_name}-experiments",
        artifact_store_uri=lake.buckets.models.s3_url_for_object(f"{MLFLOW_PREFIX}/"),
        role_arn=role.role_arn,
        # The pipeline registers models itself, behind its accuracy gate.
        model_registration_mode="AutoModelRegistrationDisabled",
    )
    app.node.add_dependency(role)
    app.apply_removal_policy(retention.removal_policy)
    return ExperimentTracking(app=app, role=role, experiment_name=f"{stack.stack_name}-sentiment")
