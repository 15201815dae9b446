"""The one way the ML stack builds a state machine: traced, every event logged, timed out."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group


def logged_state_machine(
    scope: Construct,
    *,
    definition: sfn.IChainable,
    comment: str,
    timeout: Duration,
    key: kms.IKey,
    retention: Retention,
) -> sfn.StateMachine:
    """`StateMachine` and its `ExecutionLogs` group, directly in `scope` (their logical
    ids stay those of the scope's children; the log group is pinned)."""
    return sfn.StateMachine(
        scope,
        "StateMachine",
        comment=comment,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        timeout=timeout,
        # X-Ray and ALL-level logs with execution data (cdk-nag SF1, SF2).
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=secure_log_group(scope, "ExecutionLogs", key=key, retention=retention),
            level=sfn.LogLevel.ALL,
            include_execution_data=True,
        ),
    )
