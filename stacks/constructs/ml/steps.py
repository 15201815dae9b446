"""What the ML state machines' fragments share: their bounds, and the .sync rules' grant."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


class Steps(sfn.StateMachineFragment):
    """A fragment that states its first state and its open ends once it has built them
    (`ends` empty: every branch finishes in Succeed or Fail)."""

    def _bounds(self, start: sfn.State, *ends: sfn.INextable) -> None:
        self._start = start
        self._ends = list(ends)

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return self._ends


def grant_sync_rules(machine_role: iam.IRole, scope: Construct, kinds: list[str]) -> None:
    """`.sync` SageMaker states learn that a job ended through an EventBridge rule that
    Step Functions manages, one per kind: StepFunctionsGetEventsForSageMaker<Kind>Rule."""
    machine_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[
                Stack.of(scope).format_arn(
                    service="events",
                    resource="rule",
                    resource_name=f"StepFunctionsGetEventsForSageMaker{kind}Rule",
                )
                for kind in kinds
            ],
        )
    )
