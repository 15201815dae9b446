"""A gated traffic shift: move an endpoint's traffic to one named variant in steps.

Started with `{"variant": "challenger"}` (an operator, or CI after a deploy). The machine
refuses a variant the endpoint does not have, remembers the current weights, then for each
percentage of `serving.traffic_shift.steps_percent` gives the variant that share (the
others split the rest as their configured weights do), waits `wait_minutes` while
watching the variant's 5xx and model-latency alarms, and goes on. An alarm in ALARM, or
any failure, puts the remembered weights back and notifies the topic; a finished shift
runs the A/B report and notifies too.
"""

from __future__ import annotations

import math
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.config import TrafficShiftConfig
from stacks.constructs.serving.sentiment_endpoint import SentimentEndpoint
from stacks.constructs.serving.shift_step import ShiftStep
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group


def step_weights(weights: dict[str, float], target: str, percent: int) -> list[dict[str, Any]]:
    """UpdateEndpointWeightsAndCapacities' list at one step: `target` gets `percent`, the
    other variants share the rest in proportion to their configured weights."""
    others = {name: w for name, w in weights.items() if name != target}
    total = sum(others.values())
    rest = 100 - percent
    shares = {
        name: (w / total if total > 0 else 1 / len(others)) * rest for name, w in others.items()
    }
    return [
        {
            "VariantName": name,
            "DesiredWeight": percent if name == target else round(shares[name], 4),
        }
        for name in weights
    ]


class TrafficShift(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TrafficShiftConfig,
        endpoint: SentimentEndpoint,
        topic: sns.ITopic,
        report: lambda_.IFunction,
        key: kms.IKey,
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        self._topic = topic
        self._report = report
        names = endpoint.production_variants
        gates = {name: endpoint.alarms_of(name).rollback_alarms for name in names}
        remember = self._remember_weights(endpoint)
        choose = self._choose_variant(config, endpoint, gates, then=remember)
        steps = sfn.Map(
            self,
            "ShiftInSteps",
            items_path="$.plan.steps",
            item_selector={"step.$": "$$.Map.Item.Value", "alarms.$": "$.plan.alarms"},
            # One step after the other: each waits on the one before.
            max_concurrency=1,
            result_path=sfn.JsonPath.DISCARD,
        ).item_processor(
            ShiftStep(
                self,
                "Step",
                endpoint_name=endpoint.endpoint.attr_endpoint_name,
                endpoint_arn=endpoint.endpoint_arn,
                alarm_arns=sorted({a.alarm_arn for alarms in gates.values() for a in alarms}),
                wait_minutes=config.wait_minutes,
            )
        )
        steps.add_catch(self._roll_back(endpoint), errors=["States.ALL"], result_path="$.error")
        remember.next(steps).next(self._finish())
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment='{"variant": "<name>"}: shift traffic to it in steps, gated on its alarms',
            definition_body=sfn.DefinitionBody.from_chainable(choose),
            timeout=Duration.minutes(len(config.steps_percent) * (config.wait_minutes + 20) + 30),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=secure_log_group(self, "ExecutionLogs", key=key, retention=retention),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        # The topic is KMS-encrypted: SnsPublish grants sns:Publish only.
        topic.grant_publish(self.state_machine.role)

    def _choose_variant(
        self,
        config: TrafficShiftConfig,
        endpoint: SentimentEndpoint,
        gates: dict[str, list[cloudwatch.Alarm]],
        *,
        then: sfn.Chain,
    ) -> sfn.Choice:
        """Refuse a variant the endpoint does not have; plan the steps of one it has."""
        names = endpoint.production_variants
        refuse = sfn.Fail(
            self,
            "UnknownVariant",
            error="UnknownVariant",
            cause=f'Start with {{"variant": "<name>"}}, the name one of: {", ".join(names)}',
        )
        choose = sfn.Choice(self, "ChooseVariant", comment="Only a variant this endpoint has")
        choose.when(sfn.Condition.not_(sfn.Condition.is_present("$.variant")), refuse)
        for name in names:
            plan = {
                "alarms": [a.alarm_name for a in gates[name]],
                "steps": [
                    {"percent": p, "weights": step_weights(_weights(endpoint), name, p)}
                    for p in config.steps_percent
                ],
                "report": _report_event(names, name, config),
            }
            choose.when(
                sfn.Condition.string_equals("$.variant", name),
                sfn.Pass(
                    self, f"Plan-{name}", result=sfn.Result.from_object(plan), result_path="$.plan"
                ).next(then),
            )
        return choose.otherwise(refuse)

    def _remember_weights(self, endpoint: SentimentEndpoint) -> sfn.Chain:
        describe = tasks.CallAwsService(
            self,
            "DescribeEndpoint",
            comment="The weights to put back if the shift fails",
            service="sagemaker",
            action="describeEndpoint",
            parameters={"EndpointName": endpoint.endpoint.attr_endpoint_name},
            iam_resources=[endpoint.endpoint_arn],
            result_selector={"variants.$": "$.ProductionVariants"},
            result_path="$.endpoint",
        )
        remember = sfn.Map(
            self,
            "RememberWeights",
            items_path="$.endpoint.variants",
            item_selector={
                "VariantName.$": "$$.Map.Item.Value.VariantName",
                "DesiredWeight.$": "$$.Map.Item.Value.CurrentWeight",
            },
            result_path="$.previous_weights",
        ).item_processor(sfn.Pass(self, "Weight"))
        return sfn.Chain.start(describe).next(remember)

    def _roll_back(self, endpoint: SentimentEndpoint) -> sfn.IChainable:
        restore = tasks.CallAwsService(
            self,
            "RestoreWeights",
            service="sagemaker",
            action="updateEndpointWeightsAndCapacities",
            parameters={
                "EndpointName": endpoint.endpoint.attr_endpoint_name,
                "DesiredWeightsAndCapacities.$": "$.previous_weights",
            },
            iam_resources=[endpoint.endpoint_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        # The last step's update may still be running: keep trying for about 10 minutes
        # (30 s, then 1.5 times longer each time: 623 s in all), well inside the margin.
        restore.add_retry(
            errors=["States.ALL"], interval=Duration.seconds(30), max_attempts=6, backoff_rate=1.5
        )
        restore.add_catch(
            self._notice(
                "NotifyRestoreFailed",
                "Traffic shift failed AND its rollback failed",
                failed=True,
                reported=False,
            ).next(sfn.Fail(self, "RestoreFailed", error="RestoreFailed")),
            errors=["States.ALL"],
            result_path="$.restore_error",
        )
        rolled_back = self._notice(
            "NotifyRolledBack", "Traffic shift rolled back to the previous weights", failed=True
        )
        return restore.next(self._run_report("ReportAfterRollback", rolled_back)).next(
            sfn.Fail(self, "ShiftRolledBack", error="ShiftRolledBack")
        )

    def _finish(self) -> sfn.IChainable:
        done = self._notice(
            "NotifyShifted",
            "Traffic shift finished: record the weights in cdk.json",
            hint="A deploy puts the weights configured in cdk.json (serving.variants[].weight) "
            "back: set them to the final step's weights before the next deploy.",
        )
        return self._run_report("ReportAfterShift", done).next(sfn.Succeed(self, "Shifted"))

    def _run_report(self, construct_id: str, then: sfn.Chain) -> sfn.Chain:
        """The A/B report over the shift's time span; a failed report never changes the
        shift's outcome."""
        run = tasks.LambdaInvoke(
            self,
            construct_id,
            lambda_function=self._report,
            payload=sfn.TaskInput.from_json_path_at("$.plan.report"),
            # The verdict per challenger (the whole report is in the function's log).
            result_selector={"verdicts.$": "$.Payload.verdicts"},
            result_path="$.report",
        )
        run.add_catch(then, errors=["States.ALL"], result_path="$.report")
        return run.next(then)

    def _notice(
        self,
        construct_id: str,
        subject: str,
        *,
        failed: bool = False,
        reported: bool = True,
        hint: str | None = None,
    ) -> sfn.Chain:
        """An SNS message naming the execution and variant; it references only paths the
        state's input has on that branch (a missing path fails the state)."""
        fields: dict[str, Any] = {
            "execution": sfn.JsonPath.execution_id,
            "variant": sfn.JsonPath.string_at("$.variant"),
        }
        if failed:
            fields["error"] = sfn.JsonPath.object_at("$.error")
        if hint:
            fields["next"] = hint
        if reported:
            fields["report"] = sfn.JsonPath.object_at("$.report")
        return sfn.Chain.start(
            tasks.SnsPublish(
                self,
                construct_id,
                topic=self._topic,
                subject=subject,
                message=sfn.TaskInput.from_object(fields),
                result_path=sfn.JsonPath.DISCARD,
            )
        )


def _report_event(
    names: tuple[str, ...], target: str, config: TrafficShiftConfig
) -> dict[str, Any]:
    """The A/B report's event for a shift to `target`: the hours the shift spans and,
    with two variants, the other one as the champion it is compared with."""
    minutes = len(config.steps_percent) * config.wait_minutes
    event: dict[str, Any] = {"period_hours": max(1, math.ceil(minutes / 60))}
    if len(names) == 2:
        event["champion"] = next(n for n in names if n != target)
    return event


def _weights(endpoint: SentimentEndpoint) -> dict[str, float]:
    return {v.name: v.weight for v in endpoint.variants if not v.shadow}
