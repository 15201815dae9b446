"""Drift: alarms on what the drift job publishes, and a dashboard row for it.

The job publishes once per run (monitoring.drift.schedule) per variant, with the
dimensions EndpointName and VariantName. Each alarm reads the worst variant (metric math
MAX over the variants) with the Maximum of one run's period, so a breach stays in ALARM
until the next run says otherwise; a run that publishes nothing (too few reviews) is
missing data, which never breaches. CloudWatch's period stops at a day here, so with a
schedule longer than daily an alarm returns to OK a day after the run that raised it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cdk_monitoring_constructs as mon
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import DriftConfig
from stacks.constructs.ml.drift_job import NAMESPACE, DriftJob, period_hours
from stacks.constructs.monitoring.alarm_conventions import (
    GT,
    AlarmStyle,
    ComponentWatch,
    Severity,
    watch,
)
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group
from stacks.outputs import DriftSource

# The drift job's metric names (lambda/drift/drift_metrics.py publishes them).
SCORE_PSI, LENGTH_PSI, OOV_RATE = "ScorePsi", "LengthPsi", "OovRate"
SHARES = ("PositiveShare", "UncertainShare")
REVIEWS = "Reviews"


@dataclass(frozen=True)
class _Threshold:
    name: str
    severity: Severity
    value: float
    description: str


Graphed = cloudwatch.Metric | cloudwatch.MathExpression


def _worst_variant(source: DriftSource, metric: str, period: Duration) -> Graphed:
    """`metric` of the variant with the highest value (the only one, if just one)."""
    per_variant = {
        f"v{index}": cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric,
            dimensions_map={"EndpointName": source.endpoint_name, "VariantName": variant},
            statistic="Maximum",
            period=period,
            label=f"{metric} {variant}",
        )
        for index, variant in enumerate(source.baselines)
    }
    if len(per_variant) == 1:
        return next(iter(per_variant.values()))
    return cloudwatch.MathExpression(
        expression=f"MAX([{', '.join(per_variant)}])",
        using_metrics=per_variant,
        period=period,
        label=f"{metric} (worst variant)",
    )


def _with_alarms(
    metric: Graphed, style: AlarmStyle, thresholds: list[_Threshold]
) -> mon.CustomMetricWithAlarm:
    return mon.CustomMetricWithAlarm(
        metric=metric,
        alarm_friendly_name=thresholds[0].name,
        add_alarm={
            t.severity: mon.CustomThreshold(
                threshold=t.value,
                comparison_operator=GT,
                **style.options(t.name, t.severity, t.description, immediate=True),
            )
            for t in thresholds
        },
    )


def _psi(name: str, what: str, config: DriftConfig) -> list[_Threshold]:
    return [
        _Threshold(
            f"Drift{name}Warning",
            "SEV3",
            config.psi_warning,
            f"{what} shifted from the model's baseline (PSI > {config.psi_warning})",
        ),
        _Threshold(
            f"Drift{name}Alarm",
            "SEV2",
            config.psi_alarm,
            f"{what} moved far from the model's baseline (PSI > {config.psi_alarm}): "
            "retrain or check the traffic",
        ),
    ]


def watch_drift(
    facade: mon.MonitoringFacade,
    *,
    style: AlarmStyle,
    config: DriftConfig,
    source: DriftSource,
    job: DriftJob,
) -> ComponentWatch:
    # One run's period, at most a day (CloudWatch's longest alarm period here).
    period = Duration.hours(min(24, period_hours(config.schedule)))

    def worst(metric: str) -> Graphed:
        return _worst_variant(source, metric, period)

    oov = _Threshold(
        "DriftOovRate",
        "SEV2",
        config.oov_rate_alarm,
        f"Reviews use many words the model never saw (OOV rate > {config.oov_rate_alarm})",
    )
    segment = mon.CustomMonitoring(
        facade,
        alarm_friendly_name="Drift",
        human_readable_name=f"Drift of {source.endpoint_name} against the model's baseline",
        metric_groups=[
            mon.CustomMetricGroup(
                title="Population stability index (worst variant)",
                metrics=[
                    _with_alarms(worst(SCORE_PSI), style, _psi("ScorePsi", "Scores", config)),
                    _with_alarms(
                        worst(LENGTH_PSI), style, _psi("LengthPsi", "Review lengths", config)
                    ),
                ],
            ),
            mon.CustomMetricGroup(
                title="Unseen words and prediction shares",
                metrics=[
                    _with_alarms(worst(OOV_RATE), style, [oov]),
                    *(worst(name) for name in SHARES),
                ],
            ),
            mon.CustomMetricGroup(
                title="Drift job: reviews measured and failed runs",
                metrics=[
                    worst(REVIEWS),
                    style.custom_alarm(
                        job.function.metric_errors(period=style.period, label="Failed runs"),
                        name="DriftJobFailed",
                        severity="SEV2",
                        description="The drift job failed: no drift measured this period",
                    ),
                ],
            ),
        ],
    )
    return watch(facade, "Drift", segment)


def drift_rows(
    scope: Construct,
    facade: mon.MonitoringFacade,
    *,
    style: AlarmStyle,
    config: DriftConfig,
    source: DriftSource | None,
    key: kms.IKey,
    retention: Retention,
) -> tuple[ComponentWatch, ...]:
    """The drift job and its row where the endpoint captures traffic; nothing elsewhere
    (a serverless endpoint captures nothing, so there is nothing to measure). The job and
    its log group are built directly in `scope`, so the log group keeps a pinned id."""
    if source is None:
        return ()
    job = DriftJob(
        scope,
        "DriftJob",
        config=config,
        source=source,
        key=key,
        log_group=secure_log_group(scope, "DriftJobLogs", key=key, retention=retention),
    )
    return (watch_drift(facade, style=style, config=config, source=source, job=job),)
