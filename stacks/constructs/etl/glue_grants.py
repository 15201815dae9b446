"""Grants no `grant_*` method covers: the Data Catalog and the log groups Glue names itself."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam

from stacks.constructs.shared.service_logs import grant_log_writes_under


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
    # AssociateKmsKey: the security configuration encrypts these log groups with our key.
    grant_log_writes_under(role, f"/aws-glue/{kind}", extra_actions=["logs:AssociateKmsKey"])
