"""Log groups that AWS services name themselves (Glue, SageMaker): no grant_* reaches them."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

WRITE_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


def grant_log_writes_under(
    role: iam.IRole, log_group_prefix: str, *, extra_actions: Sequence[str] = ()
) -> None:
    """Let `role` write log groups whose names start with `log_group_prefix`, in this
    account and region only."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[*WRITE_ACTIONS, *extra_actions],
            resources=[
                f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                f"log-group:{log_group_prefix}*"
            ],
        )
    )
