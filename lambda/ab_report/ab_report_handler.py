"""A/B report of an endpoint's production variants, from CloudWatch and labelled results.

Reads, per variant, the AWS/SageMaker metrics Invocations, Invocation5XXErrors,
Invocation4XXErrors and ModelLatency (dimensions EndpointName, VariantName) over the
last PERIOD_HOURS with one GetMetricData call, and, where labelled batch-scoring results
of a variant are given (JSON Lines with ``label`` and ``true_label``, the Batch Transform
output; plain or gzip), its accuracy. It returns the report (`ab_render.report_dict`) with
a verdict per challenger, and logs it: a traffic-shift state machine can branch on
``verdicts[0].decision``.

Environment (read once): ENDPOINT_NAME, VARIANTS (comma-separated, as the predict
function gets them), CHAMPION_VARIANT (optional; default the variant with the most
invocations), PERIOD_HOURS (default 168), MIN_LABELLED (default 100),
LABELLED_RESULTS_S3_URIS (optional JSON ``{"<variant>": "s3://bucket/prefix/"}``). The
event may override ``period_hours``, ``period_end``, ``champion`` and
``labelled_results``.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from ab_compare import MIN_LABELLED, VariantSummary, summary_from_metrics
from ab_render import build_report, render_text, report_dict

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "ab-report")
# (metric, statistic): ModelLatency as Sum and SampleCount gives an exact mean over
# however many datapoints CloudWatch returns.
QUERIES = (
    ("Invocations", "Sum"),
    ("Invocation5XXErrors", "Sum"),
    ("Invocation4XXErrors", "Sum"),
    ("ModelLatency", "Sum"),
    ("ModelLatency", "SampleCount"),
)


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    endpoint_name: str
    variants: tuple[str, ...]
    champion: str | None = None
    period_hours: int = 168
    min_labelled: int = MIN_LABELLED
    labelled_results: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReportSettings:
        return cls(
            endpoint_name=env.get("ENDPOINT_NAME", ""),
            variants=tuple(v.strip() for v in env.get("VARIANTS", "").split(",") if v.strip()),
            champion=env.get("CHAMPION_VARIANT") or None,
            period_hours=int(env.get("PERIOD_HOURS") or 168),
            min_labelled=int(env.get("MIN_LABELLED") or MIN_LABELLED),
            labelled_results=json.loads(env.get("LABELLED_RESULTS_S3_URIS") or "{}"),
        )


def metric_sums(
    cloudwatch: Any, endpoint: str, variants: Sequence[str], start: datetime, end: datetime
) -> dict[str, dict[str, float]]:
    """{variant: {metric or metric:SampleCount: value over the window}}."""
    queries, keys = [], {}
    for v, variant in enumerate(variants):
        for q, (metric, stat) in enumerate(QUERIES):
            query_id = f"v{v}_q{q}"
            keys[query_id] = (variant, metric if stat == "Sum" else f"{metric}:{stat}")
            dimensions = [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ]
            queries.append(
                {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SageMaker",
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        # One period over the whole window (a multiple of 60 s).
                        "Period": max(60, int((end - start).total_seconds()) // 60 * 60),
                        "Stat": stat,
                    },
                }
            )
    sums: dict[str, dict[str, float]] = {variant: {} for variant in variants}
    paginator = cloudwatch.get_paginator("get_metric_data")
    for page in paginator.paginate(MetricDataQueries=queries, StartTime=start, EndTime=end):
        for result in page["MetricDataResults"]:
            variant, key = keys[result["Id"]]
            sums[variant][key] = sums[variant].get(key, 0.0) + sum(result["Values"])
    return sums


def labelled_counts(s3: Any, uri: str) -> tuple[int, int]:
    """(labelled, correct) over every object under an s3:// prefix of scoring results."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    labelled = correct = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            data = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            for line in data.split(b"\n"):
                try:
                    document = json.loads(line) if line.strip() else None
                except ValueError:
                    continue
                if not isinstance(document, dict) or document.get("label") is None:
                    continue
                if document.get("true_label") is not None:
                    labelled += 1
                    correct += document["label"] == document["true_label"]
    return labelled, correct


def summaries_from_cloud(
    settings: ReportSettings, cloudwatch: Any, s3: Any, end: datetime
) -> dict[str, VariantSummary]:
    start = end - timedelta(hours=settings.period_hours)
    sums = metric_sums(cloudwatch, settings.endpoint_name, settings.variants, start, end)
    summaries = {}
    for variant in settings.variants:
        values = dict(sums[variant])
        samples = values.pop("ModelLatency:SampleCount", 0.0)
        latency_sum = values.pop("ModelLatency", None)
        if samples and latency_sum is not None:
            values["ModelLatency"] = latency_sum / samples
        uri = settings.labelled_results.get(variant)
        labelled, correct = labelled_counts(s3, uri) if uri else (0, 0)
        summaries[variant] = summary_from_metrics(variant, values, labelled, correct)
    return summaries


@functools.cache
def _clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("cloudwatch"), boto3.client("s3")


SETTINGS = ReportSettings.from_env(os.environ)


@logger.inject_lambda_context
def handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    event = event or {}
    settings = dataclasses.replace(
        SETTINGS,
        period_hours=int(event.get("period_hours") or SETTINGS.period_hours),
        champion=event.get("champion") or SETTINGS.champion,
        labelled_results=event.get("labelled_results") or SETTINGS.labelled_results,
    )
    if not settings.endpoint_name or len(settings.variants) < 2:
        raise ValueError("ENDPOINT_NAME and at least two VARIANTS are needed for an A/B report")
    end = event.get("period_end")
    period_end = datetime.fromisoformat(str(end)) if end else datetime.now(UTC)
    cloudwatch, s3 = _clients()
    summaries = summaries_from_cloud(settings, cloudwatch, s3, period_end)
    verdicts = build_report(summaries, settings.champion, min_labelled=settings.min_labelled)
    report = report_dict(summaries, verdicts)
    logger.info("A/B report", extra={"report": report, "text": render_text(summaries, verdicts)})
    return report
