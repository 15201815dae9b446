"""Typed, frozen stage configuration.

`app.py` is the only reader of CDK context; the local twins read the same `cdk.json`
through `cdk_json_context`. Both call `stage_config`, which merges `defaults` with the
chosen stage's overrides and hands the result to `load_stage_config`, which turns
plain JSON into the dataclasses below (`typed_json`) and checks the rules that types
alone cannot express.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from stacks.typed_json import ConfigError, build, deep_merge

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


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


@dataclasses.dataclass(frozen=True)
class ServingConfig:
    mode: Literal["serverless", "provisioned"]
    serverless_memory_mb: int
    serverless_max_concurrency: int
    instance_type: str
    initial_instance_count: int
    min_instance_count: int
    max_instance_count: int
    target_invocations_per_instance: int
    data_capture_percent: int
    # An approved package from the Model Registry; None serves the bootstrap artifact
    # that `make model` trains locally.
    model_package_arn: str | None
    lambda_reserved_concurrency: int | None
    lambda_memory_mb: int
    lambda_timeout_seconds: int
    max_reviews_per_request: int
    max_review_chars: int
    max_body_bytes: int
    throttle_rate_limit: float
    throttle_burst_limit: int
    quota_requests_per_day: int
    # "api_key": a public demo; the key only picks the usage plan (throttle, daily quota)
    # and is handed out by the page, so it authenticates nobody. "iam": private callers
    # sign requests with SigV4 and need execute-api:Invoke.
    auth: Literal["api_key", "iam"]
    waf_enabled: bool
    waf_rate_limit_per_5_minutes: int

    def request_limits_environment(self) -> dict[str, str]:
        """The predict handler's request limits as it reads them, in Lambda and locally."""
        return {
            "MAX_REVIEWS": str(self.max_reviews_per_request),
            "MAX_REVIEW_CHARS": str(self.max_review_chars),
            "MAX_BODY_BYTES": str(self.max_body_bytes),
        }


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
class MonitoringConfig:
    alarm_emails: tuple[str, ...]
    thresholds: AlarmThresholds
    monthly_budget_usd: float
    budget_alert_percents: tuple[float, ...]
    log_retention_days: int
    # A CloudWatch dashboard costs $3 a month; alarms work without one.
    dashboard: bool
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


@dataclasses.dataclass(frozen=True)
class StageConfig:
    project: str
    stage: str
    data_lake: DataLakeConfig
    etl: EtlConfig
    training: TrainingConfig
    serving: ServingConfig
    monitoring: MonitoringConfig
    cicd: CicdConfig

    def stack_id(self, component: str) -> str:
        """`reviews-dev-data-lake`: project, stage and component, as the README promises."""
        return f"{self.project}-{self.stage}-{component}"

    @property
    def tags(self) -> dict[str, str]:
        return {"project": self.project, "stage": self.stage, "managed-by": "aws-cdk"}


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The context block of `cdk.json`: what the CDK CLI hands the app."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return context


def stage_config(context: Mapping[str, Any], stage: str | None = None) -> StageConfig:
    """One stage's configuration from a context block (`stage` defaults to its own)."""
    stage = stage if stage is not None else context.get("stage")
    stages = context.get("stages") or {}
    if stage not in stages or stage == "defaults":
        choices = sorted(name for name in stages if name != "defaults")
        raise ConfigError(f"unknown stage {stage!r}; choose one of {choices} with -c stage=...")
    merged = deep_merge(stages.get("defaults", {}), stages[stage])
    merged = {"project": context.get("project"), "stage": stage, **merged}
    # A CD pipeline promotes an approved model without editing cdk.json:
    # `npx cdk deploy -c model_package_arn=arn:...`.
    package_arn = context.get("model_package_arn")
    if package_arn:
        merged = deep_merge(merged, {"serving": {"model_package_arn": package_arn}})
    return load_stage_config(merged)


def load_stage_config(raw: Mapping[str, Any]) -> StageConfig:
    """Build a StageConfig from merged context values, or raise ConfigError."""
    config = build(StageConfig, raw, "stage")
    _check(config)
    return config


def _check(config: StageConfig) -> None:
    """Cross-field rules that types alone cannot express."""
    training = config.training
    if training.use_spot and training.max_wait_seconds < training.max_runtime_seconds:
        raise ConfigError("training.max_wait_seconds must be >= max_runtime_seconds with spot")
    if not 0.0 < training.accuracy_threshold < 1.0:
        raise ConfigError("training.accuracy_threshold must be between 0 and 1")
    etl = config.etl
    if etl.validation_percent + etl.test_percent >= 100:
        raise ConfigError("etl.validation_percent + etl.test_percent must stay below 100")
    if not 0.0 <= etl.max_quarantine_share <= 1.0:
        raise ConfigError("etl.max_quarantine_share must be a share between 0 and 1")
    serving = config.serving
    if not (
        1024 <= serving.serverless_memory_mb <= 6144 and serving.serverless_memory_mb % 1024 == 0
    ):
        raise ConfigError("serving.serverless_memory_mb must be 1024..6144 in 1024 MB steps")
    if not 1 <= serving.serverless_max_concurrency <= 200:
        raise ConfigError("serving.serverless_max_concurrency must be 1..200")
    if (
        not serving.min_instance_count
        <= serving.initial_instance_count
        <= serving.max_instance_count
    ):
        raise ConfigError("serving: min <= initial <= max instance count")
    if not 0 <= serving.data_capture_percent <= 100:
        raise ConfigError("serving.data_capture_percent must be 0..100")
