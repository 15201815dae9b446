"""Wires the stacks of one stage together; typed outputs pass between them, never strings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration, Tags

from stacks.account import AccountStack
from stacks.cicd import CicdStack
from stacks.config import StageConfig
from stacks.constructs.serving.endpoint_alarms import EndpointAlarmThresholds
from stacks.constructs.shared.implied_dependencies import drop_implied_dependencies
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.stable_outputs import sort_published_outputs
from stacks.data_lake import DataLakeStack
from stacks.etl import EtlStack
from stacks.ml import MlStack
from stacks.monitoring import MonitoringStack
from stacks.notifications import NotificationsStack
from stacks.serving import ServingStack


@dataclass(frozen=True)
class Platform:
    account: AccountStack
    notifications: NotificationsStack
    data_lake: DataLakeStack
    etl: EtlStack
    ml: MlStack
    serving: ServingStack
    monitoring: MonitoringStack
    # Only for a stage whose `cicd.github_repository` is set (README: From fork to prod).
    cicd: CicdStack | None


def endpoint_alarm_thresholds(config: StageConfig) -> EndpointAlarmThresholds:
    thresholds = config.monitoring.thresholds
    return EndpointAlarmThresholds(
        invocation_5xx_errors=thresholds.endpoint_5xx_errors,
        model_latency_p99_ms=thresholds.endpoint_model_latency_p99_ms,
        overhead_latency_p99_ms=thresholds.endpoint_overhead_latency_p99_ms,
        cold_starts=thresholds.endpoint_cold_starts,
        period=Duration.minutes(thresholds.period_minutes),
        evaluation_periods=thresholds.evaluation_periods,
    )


def build_platform(app: cdk.App, config: StageConfig, *, bootstrap_model: Path | None) -> Platform:
    """Every stack of one stage; a `bootstrap_model` is served until a package is approved
    (without either, the stage serves no model yet)."""
    retention = Retention(
        retain_data=config.data_lake.retain_data,
        log_retention_days=config.monitoring.log_retention_days,
    )

    def about(purpose: str) -> str:
        return f"{config.project} ({config.stage}): {purpose}"

    # One per project and account, whatever the stage (tagged without one): see its module.
    account = AccountStack(
        app,
        f"{config.project}-account",
        description=f"{config.project}: account-wide API Gateway logging role",
    )
    data_lake = DataLakeStack(
        app,
        config.stack_id("data-lake"),
        config=config.data_lake,
        retention=retention,
        description=about("data lake buckets, KMS key, Glue database, Athena workgroup"),
    )
    lake = data_lake.outputs
    notifications = NotificationsStack(
        app,
        config.stack_id("notifications"),
        emails=config.monitoring.alarm_emails,
        shared_key=lake.key if config.monitoring.topic_key == "lake" else None,
        description=about("encrypted SNS topic for pipeline events, alarms, budget"),
    )
    etl = EtlStack(
        app,
        config.stack_id("etl"),
        config=config.etl,
        lake=lake,
        retention=retention,
        description=about("Glue cleaning job, crawler, data quality, Athena queries"),
    )
    topic = notifications.outputs.topic
    ml = MlStack(
        app,
        config.stack_id("ml"),
        config=config.training,
        etl_config=config.etl,
        batch_config=config.batch,
        lake=lake,
        etl=etl.outputs,
        topic=topic,
        retention=retention,
        serving_instance_types=config.serving.instance_types,
        uncertainty_threshold=config.serving.uncertainty_threshold,
        job_tags=config.tags,
        description=about("SageMaker training pipeline, model registry, batch scoring"),
    )
    serving = ServingStack(
        app,
        config.stack_id("serving"),
        config=config.serving,
        lake=lake,
        # The traffic shift reports to it (stages with named variants).
        topic=topic,
        sklearn_framework_version=config.training.sklearn_framework_version,
        bootstrap_model=bootstrap_model,
        alarm_thresholds=endpoint_alarm_thresholds(config),
        retention=retention,
        description=about("SageMaker endpoint, predict Lambda, REST API, web page"),
    )
    # Its API's stage logs through the account's API Gateway role.
    serving.add_stack_dependency(account)
    monitoring = MonitoringStack(
        app,
        config.stack_id("monitoring"),
        config=config.monitoring,
        serving_config=config.serving,
        project=config.project,
        stage=config.stage,
        topic=topic,
        etl=etl.outputs,
        ml=ml.outputs,
        serving=serving.outputs,
        key=lake.key,
        retention=retention,
        description=about("alarms, composite health alarm, dashboard, budget, drift job"),
    )
    cicd = (
        CicdStack(
            app,
            config.stack_id("cicd"),
            config=config.cicd,
            stage=config.stage,
            description=about("GitHub Actions OIDC provider, diff and deploy roles"),
        )
        if config.cicd.github_repository is not None
        else None
    )
    platform = Platform(account, notifications, data_lake, etl, ml, serving, monitoring, cicd)
    stage_stacks = [
        notifications,
        data_lake,
        etl,
        ml,
        serving,
        monitoring,
        *([cicd] if cicd else []),
    ]
    for stack in stage_stacks:
        sort_published_outputs(stack)
        drop_implied_dependencies(stack)
        for key, value in config.tags.items():
            Tags.of(stack).add(key, value)
    # Shared by every stage in the account: no stage tag, or stages would fight over it.
    for key, value in config.tags.items():
        if key != "stage":
            Tags.of(account).add(key, value)
    return platform
