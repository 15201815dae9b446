"""The batch side: the Glue cleaning job with its data-quality ruleset, and training.

Step Functions alarms come from cdk-monitoring-constructs' `StepFunctionMonitoring`.

The Glue job does not use the library's `GlueJobMonitoring`: that module counts failed and
timed-out runs through two EventBridge rules whose construct ids embed the job name, so
it needs a literal name, and the job deliberately has none (CloudFormation names it).
The Glue L2's `metric_failure` / `metric_timeout` count the same state changes through
rules the L2 keeps beside the job; a custom segment alarms on those metrics, so the job's
alarms still go through the facade with the same names, severities and topic.
"""

from __future__ import annotations

import cdk_monitoring_constructs as mon
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, ComponentWatch, watch


def watch_etl(
    scope: Construct,
    facade: mon.MonitoringFacade,
    *,
    style: AlarmStyle,
    job: glue.IJob,
    ruleset: glue.IDataQualityRuleset,
    topic: sns.ITopic,
) -> ComponentWatch:
    period = style.period
    quality_failures = _quality_failures(scope, ruleset, topic, style)
    segment = mon.CustomMonitoring(
        facade,
        alarm_friendly_name="CleaningJob",
        human_readable_name="Cleaning job (Glue) and data quality",
        metric_groups=[
            mon.CustomMetricGroup(
                title="Cleaning job runs",
                metrics=[
                    job.metric_success(period=period, label="Succeeded"),
                    style.custom_alarm(
                        job.metric_failure(period=period, label="Failed"),
                        name="GlueJobFailed",
                        severity="SEV2",
                        description="The cleaning job failed "
                        "(for instance: quarantine share above the limit)",
                    ),
                    style.custom_alarm(
                        job.metric_timeout(period=period, label="Timed out"),
                        name="GlueJobTimedOut",
                        severity="SEV2",
                        description="The cleaning job timed out",
                    ),
                ],
            ),
            mon.CustomMetricGroup(
                title="Data-quality evaluations failed",
                metrics=[
                    style.custom_alarm(
                        quality_failures,
                        name="DataQualityFailures",
                        severity="SEV2",
                        description="The processed table broke a data-quality rule",
                    )
                ],
            ),
            mon.CustomMetricGroup(
                title="Cleaning job: Spark tasks and records read",
                metrics=[
                    job.metric(name, glue.MetricType.COUNT, period=period)
                    for name in (
                        "glue.driver.aggregate.numCompletedTasks",
                        "glue.driver.aggregate.recordsRead",
                    )
                ],
            ),
        ],
    )
    return watch(facade, "Ingest → ETL", segment)


def _quality_failures(
    scope: Construct, ruleset: glue.IDataQualityRuleset, topic: sns.ITopic, style: AlarmStyle
) -> cloudwatch.Metric:
    """Failed evaluations of the ruleset: each goes to the topic and is counted."""
    failed = events.Rule(
        scope,
        "DataQualityFailed",
        description="A data-quality evaluation of the processed table did not pass",
        event_pattern=events.EventPattern(
            source=["aws.glue-dataquality"],
            detail_type=["Data Quality Evaluation Results Available"],
            detail={"rulesetNames": [ruleset.ruleset_name], "state": ["FAILED"]},
        ),
        # An imported view: the topic's own stack grants EventBridge with source
        # conditions, and a target on the real topic would add a grant without them.
        targets=[
            targets.SnsTopic(sns.Topic.from_topic_arn(scope, "QualityTopic", topic.topic_arn))
        ],
    )
    return cloudwatch.Metric(
        namespace="AWS/Events",
        metric_name="TriggeredRules",
        dimensions_map={"RuleName": failed.rule_name},
        statistic="Sum",
        period=style.period,
        label="Failed evaluations",
    )


def watch_training(
    facade: mon.MonitoringFacade,
    *,
    style: AlarmStyle,
    state_machine: sfn.IStateMachine,
    failed_executions: int,
) -> ComponentWatch:
    segment = mon.StepFunctionMonitoring(
        facade,
        state_machine=state_machine,
        alarm_friendly_name="Pipeline",
        human_readable_name="Training pipeline",
        add_failed_execution_count_alarm={
            "SEV2": mon.ErrorCountThreshold(
                max_error_count=failed_executions,
                **style.options(
                    "PipelineFailed",
                    "SEV2",
                    "A training pipeline execution failed",
                    at_least=True,
                    immediate=True,
                ),
            )
        },
        add_timed_out_execution_count_alarm={
            "SEV2": mon.ErrorCountThreshold(
                max_error_count=1,
                **style.options(
                    "PipelineTimedOut",
                    "SEV2",
                    "A training pipeline execution timed out",
                    at_least=True,
                    immediate=True,
                ),
            )
        },
    )
    return watch(facade, "Train", segment)
