"""Scheduled drift job: last period's data capture of one endpoint -> CloudWatch metrics.

Runs on the stage's ``monitoring.drift.schedule``. For each production variant found
under ``<CAPTURE_S3_URI>/<ENDPOINT_NAME>/``, it reads the capture files of the last
PERIOD_HOURS whole hours (``.../<variant>/yyyy/mm/dd/hh/``), measures them against the
drift baseline of the model the variant serves (`drift_metrics`) and publishes ScorePsi,
LengthPsi, OovRate, PositiveShare, UncertainShare and Reviews in the namespace
``ReviewSentiment/Drift`` with the dimensions EndpointName and VariantName. A variant with
fewer than MIN_REVIEWS captured reviews publishes nothing; a model without a baseline
makes the job say so and return without publishing.

Environment (read once per execution environment):
- CAPTURE_S3_URI: the endpoint config's DataCaptureConfig.DestinationS3Uri
- ENDPOINT_NAME: the endpoint whose capture is read
- BASELINE_S3_URI: ``drift_baseline.json`` of the served model, or its ``model.tar.gz``
  (the member is read from the archive)
- VARIANT_BASELINE_S3_URIS (optional): JSON ``{"<variant>": "s3://..."}`` for variants
  serving another model than BASELINE_S3_URI's
- MIN_REVIEWS (default 100), PERIOD_HOURS (default 24; match the schedule)

The event may set ``period_end`` (ISO time; default: this hour) and ``period_hours``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from capture_records import CaptureStats, ScoredReview, read_capture
from capture_store import CaptureStore, baseline_from_s3, split_s3_uri
from drift_metrics import NAMESPACE, BaselineError, VariantDrift, check_baseline, metric_data
from drift_metrics import variant_drift as measure_variant

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "drift-job")


@dataclasses.dataclass(frozen=True)
class DriftSettings:
    capture_uri: str
    endpoint_name: str
    baseline_uri: str
    variant_baseline_uris: Mapping[str, str]
    min_reviews: int = 100
    period_hours: int = 24

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DriftSettings:
        overrides = json.loads(env.get("VARIANT_BASELINE_S3_URIS") or "{}")
        if not isinstance(overrides, dict):
            raise ValueError("VARIANT_BASELINE_S3_URIS must be a JSON object")
        settings = cls(
            capture_uri=env.get("CAPTURE_S3_URI", "").rstrip("/"),
            endpoint_name=env.get("ENDPOINT_NAME", ""),
            baseline_uri=env.get("BASELINE_S3_URI", ""),
            variant_baseline_uris={str(k): str(v) for k, v in overrides.items()},
            min_reviews=int(env.get("MIN_REVIEWS") or 100),
            period_hours=int(env.get("PERIOD_HOURS") or 24),
        )
        split_s3_uri(settings.capture_uri)
        return settings


def period_hours(end: datetime, hours: int) -> list[datetime]:
    """The whole hours before `end` (truncated to its hour), oldest first."""
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [last - timedelta(hours=offset) for offset in range(hours, 0, -1)]


def run_drift_job(
    settings: DriftSettings, s3: Any, cloudwatch: Any, period_end: datetime
) -> dict[str, Any]:
    """Measure and publish; returns what was done, per variant, for the log."""
    store = CaptureStore(s3, settings.capture_uri, settings.endpoint_name)
    hours = period_hours(period_end, settings.period_hours)
    results: list[dict[str, Any]] = []
    published = 0
    for variant in store.variants():
        uri = settings.variant_baseline_uris.get(variant, settings.baseline_uri)
        baseline = baseline_from_s3(s3, uri) if uri else None
        if baseline is None:
            results.append({"variant": variant, "status": "no_baseline", "baseline": uri})
            continue
        try:
            check_baseline(baseline)
        except BaselineError as err:
            results.append({"variant": variant, "status": "bad_baseline", "detail": str(err)})
            continue
        stats = CaptureStats()
        reviews: list[ScoredReview] = []
        for lines in store.files(variant, hours):
            reviews.extend(read_capture(lines, stats))
        drift = measure_variant(
            settings.endpoint_name, variant, reviews, baseline, settings.min_reviews
        )
        data = metric_data(drift, hours[-1] + timedelta(hours=1))
        # PutMetricData takes up to 1,000 values per call; a variant publishes six.
        if data:
            cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)
            published += len(data)
        results.append(_variant_result(drift, stats))
    statuses = {result["status"] for result in results}
    status = "published" if published else ("no_capture" if not results else "nothing_published")
    if "no_baseline" in statuses and not published:
        status = "no_baseline"
    return {
        "status": status,
        "endpoint": settings.endpoint_name,
        "period": [hours[0].isoformat(), (hours[-1] + timedelta(hours=1)).isoformat()],
        "metrics_published": published,
        "variants": results,
    }


def _variant_result(drift: VariantDrift, stats: CaptureStats) -> dict[str, Any]:
    return {
        "variant": drift.variant,
        "status": "published" if drift.metrics is not None else "too_few_reviews",
        "reviews": drift.reviews,
        "metrics": dict(drift.metrics or {}),
        "skipped_records": stats.skipped(),
        "capture": dataclasses.asdict(stats),
    }


@functools.cache
def _clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("s3"), boto3.client("cloudwatch")


SETTINGS = DriftSettings.from_env(os.environ) if os.environ.get("CAPTURE_S3_URI") else None


@logger.inject_lambda_context
def handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    if SETTINGS is None:
        raise RuntimeError("CAPTURE_S3_URI is not set")
    event = event or {}
    settings = SETTINGS
    if event.get("period_hours"):
        settings = dataclasses.replace(settings, period_hours=int(event["period_hours"]))
    end = event.get("period_end")
    period_end = datetime.fromisoformat(str(end)) if end else datetime.now(UTC)
    s3, cloudwatch = _clients()
    outcome = run_drift_job(settings, s3, cloudwatch, period_end)
    unmeasured = [
        f"{v['variant']} ({v['status']})"
        for v in outcome["variants"]
        if v["status"] in ("no_baseline", "bad_baseline")
    ]
    if unmeasured:
        # Drift monitoring stopped for these variants, whatever the others published.
        logger.warning(f"no usable drift baseline for {', '.join(unmeasured)}", extra=outcome)
    else:
        logger.info("drift job done", extra=outcome)
    return outcome
