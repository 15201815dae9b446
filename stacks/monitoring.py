"""Operations: alarms for every component, the composite health alarm, dashboard, budget.

Alarms for API Gateway, Lambda, Step Functions and the Glue job's runs are built by
cdk-monitoring-constructs (stacks/constructs/monitoring/); the endpoint's own alarms come
from the serving stack and only get the topic here. Every alarm is named
`<project>-<stage>-<Name>`, sends ALARM and OK to the notifications topic, and its
description starts with the severity the README's runbook explains alarm by alarm.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import MonitoringConfig, ServingConfig
from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, alarm_facade
from stacks.constructs.monitoring.batch_watch import watch_batch
from stacks.constructs.monitoring.drift_watch import drift_rows
from stacks.constructs.monitoring.operations import (
    monthly_budget,
    operations_dashboard,
    prediction_path_alarm,
)
from stacks.constructs.monitoring.pipeline_watch import watch_etl, watch_training
from stacks.constructs.monitoring.serving_watch import watch_serving
from stacks.constructs.shared.retention import Retention
from stacks.outputs import Etl, Ml, Serving


class MonitoringStack(Stack):
    alarms: tuple[cloudwatch.IAlarm, ...]
    prediction_path: cloudwatch.CompositeAlarm
    dashboard: cloudwatch.Dashboard | None

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: MonitoringConfig,
        serving_config: ServingConfig,
        project: str,
        topic: sns.ITopic,
        etl: Etl,
        ml: Ml,
        serving: Serving,
        stage: str,
        # The drift job's log group: the lake key and the stage's retention.
        key: kms.IKey,
        retention: Retention,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        thresholds = config.thresholds
        style = AlarmStyle(
            name_prefix=f"{project}-{stage}",
            period=Duration.minutes(thresholds.period_minutes),
            evaluation_periods=thresholds.evaluation_periods,
        )
        facade = alarm_facade(self, "Alarms", style=style, topic=topic)
        serving_watch = watch_serving(
            facade,
            style=style,
            thresholds=thresholds,
            reserved_concurrency=serving_config.lambda_reserved_concurrency,
            backend=serving_config.backend,
            serving=serving,
            topic=topic,
        )
        rows = (
            watch_etl(self, facade, style=style, job=etl.job, ruleset=etl.ruleset, topic=topic),
            watch_training(
                facade,
                style=style,
                state_machine=ml.state_machine,
                failed_executions=thresholds.pipeline_failed_executions,
            ),
            serving_watch.row,
            watch_batch(facade, style=style, state_machine=ml.batch_scoring),
            *drift_rows(
                self,
                facade,
                style=style,
                config=config.drift,
                source=serving.drift_source,
                key=key,
                retention=retention,
            ),
        )
        self.alarms = tuple(a for row in rows for a in row.alarms)
        self.prediction_path = prediction_path_alarm(
            self,
            "PredictionPathUnhealthy",
            style=style,
            alarms=serving_watch.prediction_path,
            description=serving_watch.prediction_path_description,
            topic=topic,
        )
        self.dashboard = (
            operations_dashboard(
                self, "Dashboard", rows=rows, alarms=(self.prediction_path, *self.alarms)
            )
            if config.dashboard
            else None
        )
        monthly_budget(self, "MonthlyBudget", config=config, project=project, topic=topic)
