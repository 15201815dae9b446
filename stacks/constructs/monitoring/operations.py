"""What sits above the component alarms: the composite alarm, the dashboard, the budget.

Each builds directly in the scope it is given, so the stack's composite alarm, dashboard
and budget keep the logical ids they had before these builders moved out of the stack.
"""

from __future__ import annotations

from collections.abc import Sequence

import cdk_monitoring_constructs as mon
from aws_cdk import Duration
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import MonitoringConfig
from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, ComponentWatch, notify


def prediction_path_alarm(
    scope: Construct,
    construct_id: str,
    *,
    style: AlarmStyle,
    alarms: Sequence[cloudwatch.IAlarm],
    description: str,
    topic: sns.ITopic,
) -> cloudwatch.CompositeAlarm:
    """One SEV1 page for the whole prediction path, whichever part fails."""
    composite = cloudwatch.CompositeAlarm(
        scope,
        construct_id,
        composite_alarm_name=f"{style.name_prefix}-{construct_id}",
        alarm_description=description,
        alarm_rule=cloudwatch.AlarmRule.any_of(
            *(cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM) for a in alarms)
        ),
    )
    notify(composite, topic)
    return composite


def operations_dashboard(
    scope: Construct,
    construct_id: str,
    *,
    rows: Sequence[ComponentWatch],
    alarms: Sequence[cloudwatch.IAlarm],
) -> cloudwatch.Dashboard:
    """Alarm states on top, then one row per component built from the library's widgets."""
    dashboard = cloudwatch.Dashboard(
        scope,
        construct_id,
        default_interval=Duration.days(1),
        period_override=cloudwatch.PeriodOverride.AUTO,
    )
    dashboard.add_widgets(
        cloudwatch.AlarmStatusWidget(
            title="Alarm states",
            alarms=list(alarms),
            width=24,
            height=4,
            sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        )
    )
    for row in rows:
        # One call per row: CloudWatch wraps the widgets left to right, as the facade does.
        dashboard.add_widgets(mon.HeaderWidget(row.title, mon.HeaderLevel.MEDIUM), *row.widgets)
    return dashboard


def monthly_budget(
    scope: Construct,
    construct_id: str,
    *,
    config: MonitoringConfig,
    project: str,
    topic: sns.ITopic,
) -> budgets.CfnBudget:
    """Actual spend at each configured percentage, forecast spend from 100 % up."""
    subscriber = budgets.CfnBudget.SubscriberProperty(
        subscription_type="SNS", address=topic.topic_arn
    )
    return budgets.CfnBudget(
        scope,
        construct_id,
        budget=budgets.CfnBudget.BudgetDataProperty(
            budget_type="COST",
            time_unit="MONTHLY",
            budget_limit=budgets.CfnBudget.SpendProperty(
                amount=config.monthly_budget_usd, unit="USD"
            ),
            # Only this platform's spend: every resource carries the project tag.
            cost_filters={"TagKeyValue": [f"user:project${project}"]},
        ),
        notifications_with_subscribers=[
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    comparison_operator="GREATER_THAN",
                    notification_type=kind,
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=[subscriber],
            )
            for percent in config.budget_alert_percents
            for kind in ("ACTUAL", "FORECASTED")
            if kind == "ACTUAL" or percent >= 100
        ],
    )
