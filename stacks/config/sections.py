"""The stage configuration's sections (all but serving), as frozen dataclasses."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal


@dataclasses.dataclass(frozen=True)
class LayerLifecycle:
    """Storage-class transitions and expiry for one bucket, in days (None = never)."""

    infrequent_access_days: int | None = None
    glacier_days: int | None = None
    expire_days: int | None = None


@dataclasses.dataclass(frozen=True)
class LifecycleConfig:
    raw: LayerLifecycle
    processed: LayerLifecycle
    curated: LayerLifecycle
    quarantine: LayerLifecycle
    models: LayerLifecycle
    athena_results: LayerLifecycle
    access_logs: LayerLifecycle
    noncurrent_version_expire_days: int
    abort_incomplete_multipart_days: int


@dataclasses.dataclass(frozen=True)
class DataLakeConfig:
    # True keeps buckets and the key when a stack is deleted (prod); False lets
    # `cdk destroy` clean up a dev account completely.
    retain_data: bool
    lifecycle: LifecycleConfig
    athena_bytes_scanned_cutoff: int


@dataclasses.dataclass(frozen=True)
class EtlConfig:
    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X"]
    number_of_workers: int
    timeout_minutes: int
    max_retries: int
    # "on_upload": new raw objects start the pipeline through EventBridge;
    # "schedule": the ETL job runs on `schedule` (a cron or rate expression).
    trigger: Literal["on_upload", "schedule"]
    schedule: str
    # CSV files named train*/test* keep their original split (IMDb's own train/test).
    split_from_filename: bool
    min_chars: int
    max_chars: int
    validation_percent: int
    test_percent: int
    max_quarantine_share: float


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    instance_type: str
    instance_count: int
    volume_size_gb: int
    use_spot: bool
    max_runtime_seconds: int
    max_wait_seconds: int
    sklearn_framework_version: str
    accuracy_threshold: float
    # "Approved" lets a dev model reach the endpoint at once; prod waits for a human.
    approval_status: Literal["Approved", "PendingManualApproval"]
    hyperparameters: Mapping[str, str]
    # None: run on demand only; otherwise an EventBridge schedule expression.
    schedule: str | None
    tuning_enabled: bool
    tuning_max_jobs: int
    tuning_max_parallel_jobs: int
    pipeline_timeout_minutes: int
    # train.py picks the lowest "uncertain" threshold at which the predictions it keeps
    # reach this accuracy on the validation split; it ships inside the model.
    uncertainty_target_accuracy: float
    # MLflow: a SageMaker managed MLflow App (serverless) the training job logs to.
    experiment_tracking: bool


@dataclasses.dataclass(frozen=True)
class AlarmThresholds:
    api_5xx_rate_percent: float
    api_4xx_rate_percent: float
    api_p99_latency_ms: float
    lambda_errors: int
    lambda_throttles: int
    lambda_p99_duration_ms: float
    lambda_concurrency_percent_of_reserved: float
    endpoint_5xx_errors: int
    endpoint_model_latency_p99_ms: float
    endpoint_overhead_latency_p99_ms: float
    endpoint_cold_starts: int
    pipeline_failed_executions: int
    evaluation_periods: int
    period_minutes: int


@dataclasses.dataclass(frozen=True)
class DriftConfig:
    """The drift job over captured traffic (stages with data capture only)."""

    # When the job runs (an EventBridge schedule expression) over the last period.
    schedule: str
    # Population stability index of scores and lengths against the model's baseline.
    psi_warning: float
    psi_alarm: float
    # Share of review tokens the model never saw in training.
    oov_rate_alarm: float
    # Fewer captured reviews than this in a period publish nothing (too noisy to judge).
    min_reviews: int


@dataclasses.dataclass(frozen=True)
class BatchConfig:
    """Batch Transform over a JSON Lines prefix (spot is not available for transform)."""

    # None: on demand only; otherwise an EventBridge schedule expression.
    schedule: str | None
    instance_type: str
    instance_count: int
    # Mini-batches of whole lines up to this size (MultiRecord, SplitType=Line).
    max_payload_mb: int
    max_concurrent_transforms: int
    timeout_minutes: int


@dataclasses.dataclass(frozen=True)
class MonitoringConfig:
    alarm_emails: tuple[str, ...]
    thresholds: AlarmThresholds
    monthly_budget_usd: float
    budget_alert_percents: tuple[float, ...]
    log_retention_days: int
    # A CloudWatch dashboard costs $3 a month; alarms work without one.
    dashboard: bool
    drift: DriftConfig
    # "dedicated": the notification topic has a key of its own ($1 a month), so who may
    # read alarms and who may read lake data are separate; "lake": it shares the lake key.
    topic_key: Literal["dedicated", "lake"]


@dataclasses.dataclass(frozen=True)
class CicdConfig:
    # "owner/repo" whose GitHub Actions may diff and deploy this stage through OIDC; unset
    # means the stage has no cicd stack (a fork sets it before deploying that stack).
    github_repository: str | None
    # The qualifier the target account was bootstrapped with (`cdk bootstrap --qualifier`).
    cdk_qualifier: str
