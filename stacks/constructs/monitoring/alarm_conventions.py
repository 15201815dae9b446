"""The platform's alarm conventions, applied through cdk-monitoring-constructs.

Every alarm is named `<project>-<stage>-<Name>` (the README's runbook is keyed by
`<Name>`); its description starts with a severity (SEV1 pages someone, SEV2 needs a look
today, SEV3 is a trend to watch); it sends ALARM and OK to the notifications topic; and
no data (an idle API, a day without pipeline runs) is never a breach.

The library's `MonitoringFacade` applies the topic, the metric period and the name prefix
to every alarm it builds; `AlarmStyle.options` supplies the rest per threshold, because
the library sets descriptions and exact names only through per-threshold overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

import cdk_monitoring_constructs as mon
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

Severity = Literal["SEV1", "SEV2", "SEV3"]
GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


class ThresholdOptions(TypedDict):
    """What this platform sets on every cdk-monitoring-constructs threshold."""

    alarm_name_override: str
    alarm_description_override: str
    comparison_operator_override: cloudwatch.ComparisonOperator
    treat_missing_data_override: cloudwatch.TreatMissingData
    evaluation_periods: int
    datapoints_to_alarm: int
    custom_tags: list[str]


@dataclass(frozen=True)
class AlarmStyle:
    name_prefix: str
    period: Duration
    evaluation_periods: int

    def options(
        self,
        name: str,
        severity: Severity,
        description: str,
        *,
        at_least: bool = False,
        immediate: bool = False,
    ) -> ThresholdOptions:
        """`at_least`: the threshold itself is bad (counts); `immediate`: one period."""
        # A sustained alarm needs every datapoint of its window to breach (as CloudWatch
        # does without DatapointsToAlarm); a single failed run or error alarms at once.
        periods = 1 if immediate else self.evaluation_periods
        return ThresholdOptions(
            alarm_name_override=f"{self.name_prefix}-{name}",
            alarm_description_override=f"{severity}: {description}",
            comparison_operator_override=GTE if at_least else GT,
            treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            custom_tags=[severity],
        )

    def custom_alarm(
        self,
        metric: cloudwatch.Metric,
        *,
        name: str,
        severity: Severity,
        description: str,
        threshold: float = 1,
    ) -> mon.CustomMetricWithAlarm:
        """An event count (a failed run, a broken rule) that alarms on its first occurrence."""
        options = self.options(name, severity, description, at_least=True, immediate=True)
        return mon.CustomMetricWithAlarm(
            metric=metric,
            alarm_friendly_name=name,
            add_alarm={
                severity: mon.CustomThreshold(
                    threshold=threshold, comparison_operator=GTE, **options
                )
            },
        )


def alarm_facade(
    scope: Construct, construct_id: str, *, style: AlarmStyle, topic: sns.ITopic
) -> mon.MonitoringFacade:
    """The facade every library-built alarm goes through; it draws no dashboard itself."""
    return mon.MonitoringFacade(
        scope,
        construct_id,
        alarm_factory_defaults=mon.AlarmFactoryDefaults(
            alarm_name_prefix=style.name_prefix,
            actions_enabled=True,
            action=mon.SnsAlarmActionStrategy(on_alarm_topic=topic, on_ok_topic=topic),
            evaluation_periods=style.evaluation_periods,
            datapoints_to_alarm=style.evaluation_periods,
        ),
        metric_factory_defaults=mon.MetricFactoryDefaults(period=style.period),
        # Its widgets go on the platform's one dashboard (a dashboard costs $3 a month).
        dashboard_factory=mon.DefaultDashboardFactory(
            scope,
            f"{construct_id}Dashboards",
            dashboard_name_prefix=style.name_prefix,
            create_dashboard=False,
        ),
    )


def notify(alarm: cloudwatch.AlarmBase, topic: sns.ITopic) -> None:
    """ALARM and OK to the topic, for alarms the facade did not build."""
    action = actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)


@dataclass(frozen=True)
class ComponentWatch:
    """One component's alarms and the widgets of its dashboard row."""

    title: str
    alarms: tuple[cloudwatch.IAlarm, ...]
    widgets: tuple[cloudwatch.IWidget, ...]


def watch(facade: mon.MonitoringFacade, title: str, *segments: mon.Monitoring) -> ComponentWatch:
    """Register segments with the facade (so it reports their alarms) and gather them."""
    for segment in segments:
        facade.add_segment(segment)
    return ComponentWatch(
        title=title,
        alarms=tuple(a.alarm for s in segments for a in s.created_alarms()),
        widgets=tuple(w for s in segments for w in s.widgets()),
    )
