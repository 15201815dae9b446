"""Grants no `grant_*` method covers: the Data Catalog and the log groups Glue names itself."""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam


def grant_catalog(
    role: iam.IRole, database: glue.IDatabase, *, table: str, actions: list[str]
) -> None:
    """`actions` on the catalog, the database and its `table` (or `*`), nothing else."""
    stack = Stack.of(role)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=actions,
            resources=[
                stack.format_arn(service="glue", resource="catalog"),
                database.database_arn,
                stack.format_arn(
                    service="glue",
                    resource="table",
                    resource_name=f"{database.database_name}/{table}",
                ),
            ],
        )
    )


def grant_glue_logs(role: iam.IRole, kind: str) -> None:
    """Glue writes under /aws-glue/<kind> (jobs, crawlers, data-quality) in this account."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:AssociateKmsKey",
            ],
            resources=[
                f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws-glue/{kind}*"
            ],
        )
    )
