"""The machines' SNS messages: one shape for every outcome they report."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct


def notice(
    scope: Construct, construct_id: str, *, topic: sns.ITopic, subject: str, fields: dict[str, Any]
) -> tasks.SnsPublish:
    """Publish `fields` as a JSON message; the state's own input passes through unchanged."""
    return tasks.SnsPublish(
        scope,
        construct_id,
        topic=topic,
        subject=subject,
        message=sfn.TaskInput.from_object(fields),
        result_path=sfn.JsonPath.DISCARD,
    )


def failure_notice(
    scope: Construct, *, topic: sns.ITopic, subject: str, fail_state: str, error: str
) -> sfn.Chain:
    """NotifyFailure -> Fail: where every Catch goes, with the error a Catch put in $.error."""
    return notice(
        scope,
        "NotifyFailure",
        topic=topic,
        subject=subject,
        fields={
            "execution": sfn.JsonPath.execution_id,
            "error": sfn.JsonPath.string_at("$.error.Error"),
            "cause": sfn.JsonPath.string_at("$.error.Cause"),
        },
    ).next(sfn.Fail(scope, fail_state, error=error))
