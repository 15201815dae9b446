"""Wires the stacks of one stage together; objects pass between them, never strings."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_logs as logs

from stacks.config import ConfigError, StageConfig
from stacks.constructs.endpoint_alarms import EndpointAlarmThresholds
from stacks.data_lake import DataLakeStack
from stacks.etl import EtlStack
from stacks.ml import MlStack
from stacks.monitoring import MonitoringStack
from stacks.notifications import NotificationsStack
from stacks.serving import ServingStack

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


@dataclass(frozen=True)
class Platform:
    notifications: NotificationsStack
    data_lake: DataLakeStack
    etl: EtlStack
    ml: MlStack
    serving: ServingStack
    monitoring: MonitoringStack


def log_retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ConfigError(f"monitoring.log_retention_days must be one of {sorted(_RETENTION)}")
    return _RETENTION[days]


def build_platform(app: cdk.App, config: StageConfig) -> Platform:
    description = f"{config.project} ({config.stage})"
    retention = log_retention(config.monitoring.log_retention_days)

    notifications = NotificationsStack(
        app,
        config.stack_id("notifications"),
        emails=config.monitoring.alarm_emails,
        description=f"{description}: encrypted SNS topic for pipeline events, alarms, budget",
    )
    data_lake = DataLakeStack(
        app,
        config.stack_id("data-lake"),
        config=config.data_lake,
        description=f"{description}: data lake buckets, KMS key, Glue database, Athena workgroup",
    )
    etl = EtlStack(
        app,
        config.stack_id("etl"),
        config=config.etl,
        key=data_lake.key,
        raw_bucket=data_lake.raw_bucket,
        processed_bucket=data_lake.processed_bucket,
        curated_bucket=data_lake.curated_bucket,
        quarantine_bucket=data_lake.quarantine_bucket,
        database=data_lake.database,
        workgroup_name=data_lake.workgroup.name,
        log_retention=retention,
        retain_data=config.data_lake.retain_data,
        description=f"{description}: Glue cleaning job, crawler, data quality, Athena queries",
    )
    ml = MlStack(
        app,
        config.stack_id("ml"),
        config=config.training,
        etl_config=config.etl,
        etl=etl,
        key=data_lake.key,
        raw_bucket=data_lake.raw_bucket,
        curated_bucket=data_lake.curated_bucket,
        models_bucket=data_lake.models_bucket,
        database_name=data_lake.database.database_name,
        topic=notifications.topic,
        log_retention=retention,
        retain_data=config.data_lake.retain_data,
        serving_instance_types=(config.serving.instance_type,),
        description=f"{description}: SageMaker training pipeline and model registry",
    )
    thresholds = config.monitoring.thresholds
    serving = ServingStack(
        app,
        config.stack_id("serving"),
        config=config.serving,
        key=data_lake.key,
        models_bucket=data_lake.models_bucket,
        access_logs_bucket=data_lake.access_logs_bucket,
        sklearn_framework_version=config.training.sklearn_framework_version,
        alarm_thresholds=EndpointAlarmThresholds(
            invocation_5xx_errors=thresholds.endpoint_5xx_errors,
            model_latency_p99_ms=thresholds.endpoint_model_latency_p99_ms,
            overhead_latency_p99_ms=thresholds.endpoint_overhead_latency_p99_ms,
            cold_starts=thresholds.endpoint_cold_starts,
            period=Duration.minutes(thresholds.period_minutes),
            evaluation_periods=thresholds.evaluation_periods,
        ),
        log_retention=retention,
        retain_data=config.data_lake.retain_data,
        description=f"{description}: SageMaker endpoint, predict Lambda, REST API, web page",
    )
    monitoring = MonitoringStack(
        app,
        config.stack_id("monitoring"),
        config=config.monitoring,
        serving_config=config.serving,
        project=config.project,
        topic=notifications.topic,
        etl=etl,
        ml=ml,
        serving=serving,
        description=f"{description}: alarms, composite health alarm, dashboard, budget",
    )
    return Platform(
        notifications=notifications,
        data_lake=data_lake,
        etl=etl,
        ml=ml,
        serving=serving,
        monitoring=monitoring,
    )
