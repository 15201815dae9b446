"""Operations: alarms for every component, the composite health alarm, dashboard, budget.

Every alarm sends ALARM and OK to the notifications topic. Descriptions start with a
severity (SEV1 pages someone, SEV2 needs a look today, SEV3 is a trend to watch) that
the README's runbook explains alarm by alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import MonitoringConfig, ServingConfig
from stacks.outputs import Etl, Ml, Serving

SEV1, SEV2, SEV3 = "SEV1", "SEV2", "SEV3"
GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


@dataclass
class ComponentAlarms:
    """Alarms grouped by the part of the path they watch, for the dashboard."""

    api: list[cloudwatch.IAlarm]
    function: list[cloudwatch.IAlarm]
    endpoint: list[cloudwatch.IAlarm]
    etl: list[cloudwatch.IAlarm]
    pipeline: list[cloudwatch.IAlarm]

    def all(self) -> list[cloudwatch.IAlarm]:
        return [*self.api, *self.function, *self.endpoint, *self.etl, *self.pipeline]


class MonitoringStack(Stack):
    alarms: ComponentAlarms
    prediction_path: cloudwatch.CompositeAlarm
    dashboard: cloudwatch.Dashboard

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
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._topic = topic
        self._project = project
        thresholds = config.thresholds
        self._period = Duration.minutes(thresholds.period_minutes)
        self._evaluations = thresholds.evaluation_periods

        api = serving.api
        function = serving.function
        state_machine = ml.state_machine

        self.alarms = ComponentAlarms(
            api=[
                self._rate_alarm(
                    "Api5xxRate",
                    SEV1,
                    "API answers 5xx to callers",
                    errors=api.metric_server_error(period=self._period, statistic="Sum"),
                    total=api.metric_count(period=self._period, statistic="SampleCount"),
                    percent=thresholds.api_5xx_rate_percent,
                ),
                self._rate_alarm(
                    "Api4xxRate",
                    SEV3,
                    "Many callers get 4xx (bad input, keys or throttling)",
                    errors=api.metric_client_error(period=self._period, statistic="Sum"),
                    total=api.metric_count(period=self._period, statistic="SampleCount"),
                    percent=thresholds.api_4xx_rate_percent,
                ),
                self._alarm(
                    "ApiLatencyP99",
                    SEV2,
                    "API p99 latency is high",
                    api.metric_latency(period=self._period, statistic="p99"),
                    thresholds.api_p99_latency_ms,
                ),
            ],
            function=self._function_alarms(function, serving_config, thresholds),
            endpoint=self._endpoint_alarms(serving),
            etl=self._etl_alarms(etl),
            pipeline=[
                self._alarm(
                    "PipelineFailed",
                    SEV2,
                    "A training pipeline execution failed",
                    state_machine.metric_failed(period=self._period, statistic="Sum"),
                    thresholds.pipeline_failed_executions,
                    comparison=GTE,
                    evaluation_periods=1,
                ),
                self._alarm(
                    "PipelineTimedOut",
                    SEV2,
                    "A training pipeline execution timed out",
                    state_machine.metric_timed_out(period=self._period, statistic="Sum"),
                    1,
                    comparison=GTE,
                    evaluation_periods=1,
                ),
            ],
        )

        self.prediction_path = cloudwatch.CompositeAlarm(
            self,
            "PredictionPathUnhealthy",
            alarm_description=f"{SEV1}: the prediction path is unhealthy: API 5xx, Lambda "
            "errors, or the endpoint failing or slow",
            alarm_rule=cloudwatch.AlarmRule.any_of(
                *(
                    cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM)
                    for a in (
                        self.alarms.api[0],
                        self.alarms.function[0],
                        serving.endpoint_alarms.invocation_5xx,
                        serving.endpoint_alarms.model_latency,
                    )
                )
            ),
        )
        self._notify(self.prediction_path)

        self.dashboard = self._dashboard(etl, ml, serving)
        self._budget(config)

    # --- alarm builders ------------------------------------------------------------
    def _notify(self, alarm: cloudwatch.IAlarm) -> None:
        action = actions.SnsAction(self._topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)

    def _alarm(
        self,
        construct_id: str,
        severity: str,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        *,
        comparison: cloudwatch.ComparisonOperator = GT,
        evaluation_periods: int | None = None,
    ) -> cloudwatch.Alarm:
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_description=f"{severity}: {description}",
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods or self._evaluations,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self._notify(alarm)
        return alarm

    def _rate_alarm(
        self,
        construct_id: str,
        severity: str,
        description: str,
        *,
        errors: cloudwatch.IMetric,
        total: cloudwatch.IMetric,
        percent: float,
    ) -> cloudwatch.Alarm:
        # A rate, not a count: ten errors mean little at peak and much at night.
        rate = cloudwatch.MathExpression(
            expression="IF(total > 0, 100 * errors / total, 0)",
            using_metrics={"errors": errors, "total": total},
            label=f"{construct_id} (%)",
            period=self._period,
        )
        return self._alarm(construct_id, severity, f"{description} (> {percent} %)", rate, percent)

    def _function_alarms(self, function, serving_config: ServingConfig, thresholds):
        found = [
            self._alarm(
                "LambdaErrors",
                SEV1,
                "The predict Lambda raised errors",
                function.metric_errors(period=self._period, statistic="Sum"),
                thresholds.lambda_errors,
                comparison=GTE,
                evaluation_periods=1,
            ),
            self._alarm(
                "LambdaThrottles",
                SEV2,
                "The predict Lambda is throttled",
                function.metric_throttles(period=self._period, statistic="Sum"),
                thresholds.lambda_throttles,
                comparison=GTE,
            ),
            self._alarm(
                "LambdaDurationP99",
                SEV2,
                "The predict Lambda p99 duration is high",
                function.metric_duration(period=self._period, statistic="p99"),
                thresholds.lambda_p99_duration_ms,
            ),
        ]
        reserved = serving_config.lambda_reserved_concurrency
        if reserved:
            found.append(
                self._alarm(
                    "LambdaConcurrencyNearLimit",
                    SEV2,
                    f"The predict Lambda nears its reserved concurrency of {reserved}",
                    function.metric(
                        "ConcurrentExecutions", period=self._period, statistic="Maximum"
                    ),
                    reserved * thresholds.lambda_concurrency_percent_of_reserved / 100,
                )
            )
        return found

    def _endpoint_alarms(self, serving: Serving) -> list[cloudwatch.IAlarm]:
        # Built beside the endpoint, because blue/green rollbacks watch them too.
        endpoint_alarms = serving.endpoint_alarms.alarms
        for alarm in endpoint_alarms:
            self._notify(alarm)
        return endpoint_alarms

    def _etl_alarms(self, etl: Etl) -> list[cloudwatch.IAlarm]:
        job = etl.job
        # The Glue L2 counts job state changes through EventBridge rules it creates.
        found = [
            self._alarm(
                "GlueJobFailed",
                SEV2,
                "The cleaning job failed (for instance: quarantine share above the limit)",
                job.metric_failure(period=self._period),
                1,
                comparison=GTE,
                evaluation_periods=1,
            ),
            self._alarm(
                "GlueJobTimedOut",
                SEV2,
                "The cleaning job timed out",
                job.metric_timeout(period=self._period),
                1,
                comparison=GTE,
                evaluation_periods=1,
            ),
        ]
        quality_failed = events.Rule(
            self,
            "DataQualityFailed",
            description="A data-quality evaluation of the processed table did not pass",
            event_pattern=events.EventPattern(
                source=["aws.glue-dataquality"],
                detail_type=["Data Quality Evaluation Results Available"],
                detail={
                    "rulesetNames": [etl.ruleset.ruleset_name],
                    "state": ["FAILED"],
                },
            ),
            targets=[targets.SnsTopic(self._topic)],
        )
        found.append(
            self._alarm(
                "DataQualityFailures",
                SEV2,
                "The processed table broke a data-quality rule",
                cloudwatch.Metric(
                    namespace="AWS/Events",
                    metric_name="TriggeredRules",
                    dimensions_map={"RuleName": quality_failed.rule_name},
                    statistic="Sum",
                    period=self._period,
                ),
                1,
                comparison=GTE,
                evaluation_periods=1,
            )
        )
        return found

    # --- dashboard and budget -------------------------------------------------------
    def _dashboard(self, etl: Etl, ml: Ml, serving: Serving) -> cloudwatch.Dashboard:
        period = self._period
        api = serving.api
        function = serving.function
        endpoint = serving.endpoint_alarms
        machine = ml.state_machine
        job = etl.job
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            default_interval=Duration.days(1),
            period_override=cloudwatch.PeriodOverride.AUTO,
        )

        def title(text: str) -> cloudwatch.TextWidget:
            return cloudwatch.TextWidget(markdown=f"## {text}", width=24, height=1)

        def graph(
            name: str, *metrics: cloudwatch.IMetric, width: int = 8
        ) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=name, left=list(metrics), width=width, height=6)

        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarm states",
                alarms=[self.prediction_path, *self.alarms.all()],
                width=24,
                height=4,
                sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
            )
        )
        dashboard.add_widgets(title("Ingest → ETL"))
        dashboard.add_widgets(
            graph(
                "Cleaning job runs",
                job.metric_success(period=period),
                job.metric_failure(period=period),
                job.metric_timeout(period=period),
            ),
            graph(
                "Cleaning job: completed Spark tasks",
                job.metric(
                    "glue.driver.aggregate.numCompletedTasks",
                    glue.MetricType.COUNT,
                    period=period,
                ),
            ),
            graph(
                "Cleaning job: records read",
                job.metric(
                    "glue.driver.aggregate.recordsRead", glue.MetricType.COUNT, period=period
                ),
            ),
        )
        dashboard.add_widgets(title("Train"))
        dashboard.add_widgets(
            graph(
                "Pipeline executions",
                machine.metric_started(period=period),
                machine.metric_succeeded(period=period),
                machine.metric_failed(period=period),
                machine.metric_timed_out(period=period),
            ),
            graph("Pipeline duration (p90)", machine.metric_time(period=period, statistic="p90")),
        )
        dashboard.add_widgets(title("Serve"))
        dashboard.add_widgets(
            graph(
                "API requests and errors",
                api.metric_count(period=period, statistic="SampleCount"),
                api.metric_client_error(period=period),
                api.metric_server_error(period=period),
            ),
            graph(
                "API latency",
                api.metric_latency(period=period, statistic="p50"),
                api.metric_latency(period=period, statistic="p99"),
            ),
            graph(
                "Predict Lambda",
                function.metric_invocations(period=period),
                function.metric_errors(period=period),
                function.metric_throttles(period=period),
            ),
        )
        dashboard.add_widgets(
            graph(
                "Endpoint invocations and 5xx",
                endpoint.metric("Invocations", "Sum"),
                endpoint.metric("Invocation5XXErrors", "Sum"),
                endpoint.metric("Invocation4XXErrors", "Sum"),
            ),
            graph(
                "Endpoint latency p99 (µs)",
                endpoint.metric("ModelLatency", "p99"),
                endpoint.metric("OverheadLatency", "p99"),
            ),
            graph(
                "Predict Lambda duration",
                function.metric_duration(period=period, statistic="p50"),
                function.metric_duration(period=period, statistic="p99"),
            ),
        )
        return dashboard

    def _budget(self, config: MonitoringConfig) -> None:
        budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(
                    amount=config.monthly_budget_usd, unit="USD"
                ),
                # Only this platform's spend: every resource carries the project tag.
                cost_filters={"TagKeyValue": [f"user:project${self._project}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        comparison_operator="GREATER_THAN",
                        notification_type=kind,
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(
                            subscription_type="SNS", address=self._topic.topic_arn
                        )
                    ],
                )
                for percent in config.budget_alert_percents
                for kind in ("ACTUAL", "FORECASTED")
                if kind == "ACTUAL" or percent >= 100
            ],
        )
