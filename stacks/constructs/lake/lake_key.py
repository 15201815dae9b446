"""The data lake's customer-managed key: lake buckets, query results and log groups."""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.constructs.shared.retention import Retention


def data_lake_key(scope: Construct, construct_id: str, *, retention: Retention) -> kms.Key:
    """A rotating key that this account's CloudWatch log groups may also use.

    Built in the caller's scope (a function, not a wrapping construct) so the key keeps
    its logical id: a replaced key makes everything it encrypted unreadable.
    """
    key = kms.Key(
        scope,
        construct_id,
        description="Encrypts the review data lake, ETL output, models and query results",
        enable_key_rotation=True,
        rotation_period=Duration.days(365),
        removal_policy=retention.removal_policy,
        pending_window=retention.key_pending_window,
    )
    # The platform's log groups (Glue, Lambda, API access logs, Step Functions) are
    # encrypted with this key too; CloudWatch Logs may use it for this account only.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                    )
                }
            },
        )
    )
    return key
