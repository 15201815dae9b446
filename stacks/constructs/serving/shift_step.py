"""One step of a gated traffic shift, as a Step Functions fragment.

SetWeights -> (WaitForUpdate -> DescribeUpdate -> UpdateDone?)* -> StartWatch ->
(WatchMinute -> CheckAlarms -> AlarmGate -> NextMinute)* -> StepPassed.

The step's input is `{"step": {"percent", "weights"}, "alarms": [names]}`. The gate reads
the target variant's alarms once a minute for the whole wait, not once at its end: a
5xx alarm that fires and clears inside the wait still stops the shift. Any alarm in ALARM
fails the step with `VariantInAlarm`; the caller puts the previous weights back.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

# Weight-only updates take about a minute; poll the endpoint's status this often.
_POLL = Duration.seconds(30)
# Statuses that pass by themselves: wait on, rather than fail the step.
_BUSY = ("Updating", "SystemUpdating")


class ShiftStep(sfn.StateMachineFragment):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        endpoint_arn: str,
        alarm_arns: list[str],
        wait_minutes: int,
    ) -> None:
        super().__init__(scope, construct_id)
        set_weights = tasks.CallAwsService(
            self,
            "SetWeights",
            comment="Give the target variant this step's share of the traffic",
            service="sagemaker",
            action="updateEndpointWeightsAndCapacities",
            parameters={
                "EndpointName": endpoint_name,
                "DesiredWeightsAndCapacities.$": "$.step.weights",
            },
            iam_resources=[endpoint_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        # Autoscaling may be updating the endpoint at that moment: try again shortly.
        set_weights.add_retry(
            errors=["States.TaskFailed"],
            interval=Duration.seconds(30),
            max_attempts=4,
            backoff_rate=2,
        )
        wait_for_update = sfn.Wait(self, "WaitForUpdate", time=sfn.WaitTime.duration(_POLL))
        describe = tasks.CallAwsService(
            self,
            "DescribeUpdate",
            service="sagemaker",
            action="describeEndpoint",
            parameters={"EndpointName": endpoint_name},
            iam_resources=[endpoint_arn],
            result_selector={"status.$": "$.EndpointStatus"},
            result_path="$.endpoint",
        )
        watch = self._watch(alarm_arns, wait_minutes)
        update_done = (
            sfn.Choice(self, "UpdateDone")
            .when(sfn.Condition.string_equals("$.endpoint.status", "InService"), watch)
            .when(
                sfn.Condition.or_(
                    *(sfn.Condition.string_equals("$.endpoint.status", s) for s in _BUSY)
                ),
                wait_for_update,
            )
            .otherwise(
                sfn.Fail(
                    self,
                    "EndpointNotInService",
                    error="EndpointNotInService",
                    cause="The endpoint left InService while its weights changed",
                )
            )
        )
        set_weights.next(wait_for_update).next(describe).next(update_done)
        self._start = set_weights
        self._ends: list[sfn.INextable] = []

    def _watch(self, alarm_arns: list[str], wait_minutes: int) -> sfn.IChainable:
        start = sfn.Pass(
            self,
            "StartWatch",
            result=sfn.Result.from_object({"value": 0}),
            result_path="$.minute",
        )
        minute = sfn.Wait(self, "WatchMinute", time=sfn.WaitTime.duration(Duration.minutes(1)))
        check = tasks.CallAwsService(
            self,
            "CheckAlarms",
            comment="Which of the target variant's alarms are in ALARM",
            service="cloudwatch",
            action="describeAlarms",
            parameters={"AlarmNames.$": "$.alarms", "StateValue": "ALARM"},
            iam_resources=alarm_arns,
            result_selector={"alarming.$": "$.MetricAlarms[*].AlarmName"},
            result_path="$.check",
        )
        next_minute = sfn.Pass(
            self,
            "NextMinute",
            parameters={"value.$": "States.MathAdd($.minute.value, 1)"},
            result_path="$.minute",
        )
        gate = (
            sfn.Choice(self, "AlarmGate")
            .when(
                sfn.Condition.is_present("$.check.alarming[0]"),
                sfn.Fail(
                    self,
                    "VariantAlarm",
                    error="VariantInAlarm",
                    cause_path=sfn.JsonPath.format(
                        "In ALARM: {}",
                        sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.check.alarming")),
                    ),
                ),
            )
            .when(
                sfn.Condition.number_greater_than_equals("$.minute.value", wait_minutes - 1),
                sfn.Succeed(self, "StepPassed"),
            )
            .otherwise(next_minute.next(minute))
        )
        return start.next(minute).next(check).next(gate)

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        # The step ends in Succeed or Fail: nothing chains after it inside the Map.
        return self._ends
