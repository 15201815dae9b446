"""Batch scoring: its runs on the dashboard, and an alarm for each one that fails or
times out (a run scores on demand or on a schedule, so every failure is news)."""

from __future__ import annotations

import cdk_monitoring_constructs as mon
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_stepfunctions as sfn

from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, ComponentWatch, watch

# Alarm name -> (execution outcome, what it means); each alarms on its first occurrence.
OUTCOMES = {
    "BatchScoringFailed": (
        "failed",
        "A batch scoring run failed: no approved package, a bad request, or the transform "
        "failed (the failure notice on the topic says which)",
    ),
    "BatchScoringTimedOut": ("timed_out", "A batch scoring run outlived batch.timeout_minutes"),
}


def watch_batch(
    facade: mon.MonitoringFacade, *, style: AlarmStyle, state_machine: sfn.IStateMachine
) -> ComponentWatch:
    def runs(outcome: str) -> cloudwatch.Metric:
        metric = getattr(state_machine, f"metric_{outcome}")
        return metric(period=style.period, label=outcome.replace("_", " ").capitalize())

    metrics: list[cloudwatch.Metric | mon.CustomMetricWithAlarm] = [runs("succeeded")]
    for name, (outcome, description) in OUTCOMES.items():
        metrics.append(
            style.custom_alarm(runs(outcome), name=name, severity="SEV2", description=description)
        )
    segment = mon.CustomMonitoring(
        facade,
        alarm_friendly_name="BatchScoring",
        human_readable_name="Batch scoring (Batch Transform)",
        metric_groups=[mon.CustomMetricGroup(title="Batch scoring runs", metrics=metrics)],
    )
    return watch(facade, "Batch scoring", segment)
