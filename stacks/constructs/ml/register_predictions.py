"""Batch scoring fragment: add the run's folder to the scored_reviews table.

RegisterPartition runs `ALTER TABLE ... ADD IF NOT EXISTS PARTITION` in the lake's
workgroup and waits for it (`athena:startQueryExecution.sync`); IF NOT EXISTS keeps a
retried state harmless. A CustomState with grants of its own, because the CDK's Athena
task grants every Glue table action on the whole database and S3 on every bucket.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.etl.glue_grants import grant_catalog
from stacks.constructs.lake.lake_analytics import QUERY_RESULTS_PREFIX
from stacks.constructs.ml.steps import Steps

# What ALTER TABLE ... ADD PARTITION reads and writes in the Data Catalog.
PARTITION_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchCreatePartition",
    "glue:CreatePartition",
]


def partition_statement(table: str) -> str:
    """States.Format template: run_date, run_id, location. Quotes are escaped (\\') as
    intrinsic-function string literals require."""
    return (
        f"ALTER TABLE {table} ADD IF NOT EXISTS PARTITION "
        r"(run_date = \'{}\', run_id = \'{}\') LOCATION \'{}\'"
    )


class RegisterPredictions(Steps):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: glue.S3Table,
        workgroup: athena.CfnWorkGroup,
        on_failure: sfn.IChainable,
    ) -> None:
        super().__init__(scope, construct_id)
        self._table = table
        self._workgroup = workgroup
        sql = partition_statement(table.table_name)
        register = sfn.CustomState(
            self,
            "RegisterPartition",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Aws.PARTITION}:states:::athena:startQueryExecution.sync",
                "Parameters": {
                    "QueryString.$": (
                        f"States.Format('{sql}', $.run.date, $.run.id, $.run.output_uri)"
                    ),
                    "QueryExecutionContext": {"Database": table.database.database_name},
                    "WorkGroup": workgroup.ref,
                },
                "ResultSelector": {"query.$": "$.QueryExecution.QueryExecutionId"},
                "ResultPath": "$.partition",
            },
        )
        register.add_catch(on_failure, errors=["States.ALL"], result_path="$.error")
        self._bounds(register, register)

    def grant_to(self, machine_role: iam.IRole, *, results: s3.IBucket, key: kms.IKey) -> None:
        """Run queries in the workgroup; Athena writes each result with the caller's
        credentials, so the role also writes the results folder with the lake key."""
        stack = Stack.of(self)
        machine_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:StopQueryExecution",
                ],
                resources=[
                    stack.format_arn(
                        service="athena", resource="workgroup", resource_name=self._workgroup.ref
                    )
                ],
            )
        )
        grant_catalog(
            machine_role,
            self._table.database,
            table=self._table.table_name,
            actions=PARTITION_ACTIONS,
        )
        results.grant_read(machine_role, f"{QUERY_RESULTS_PREFIX}/*")
        results.grant_put(machine_role, f"{QUERY_RESULTS_PREFIX}/*")
        key.grant_encrypt_decrypt(machine_role)
