"""The one way this platform builds a log group: KMS-encrypted, retained per stage."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.shared.retention import Retention


def secure_log_group(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    retention: Retention,
    name: str | None = None,
) -> logs.LogGroup:
    """A log group encrypted with the project key, its retention and removal from the stage.

    A function, not a wrapping construct, so a log group keeps the logical id it had
    when it was built inline (replacing a retained log group orphans its history).
    The key's policy must let CloudWatch Logs use it (the data-lake key allows this
    account's log groups). `name` only where a service writes to a group it names itself.
    """
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        encryption_key=key,
        retention=retention.log_retention,
        removal_policy=retention.removal_policy,
    )
