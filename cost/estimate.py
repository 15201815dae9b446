"""Estimate a stage's monthly idle cost and its cost per million predictions.

Reads the synthesised CloudFormation templates (what would be deployed), not the
configuration, and prices them with `prices_us_east_1.json` beside this file.

Usage: python cost/estimate.py cdk.out/dev [cdk.out/prod ...]
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if __package__:
    from cost.batch_run import batch_run_lines
else:  # `python cost/estimate.py` (make cost): this folder is on the path, the repo is not
    from batch_run import batch_run_lines

PRICES = json.loads((Path(__file__).with_name("prices_us_east_1.json")).read_text())


def price(name: str) -> float:
    return PRICES[name]["price"]


@dataclass
class Estimate:
    stage: str
    idle: list[tuple[str, float]] = field(default_factory=list)
    per_million: list[tuple[str, float]] = field(default_factory=list)
    # What CloudWatch's always-free allowance takes off the idle bill of a fresh account.
    always_free_credit: float = 0.0
    # One batch scoring run over a million reviews (Batch Transform instance-hours).
    batch_run: list[tuple[str, float]] = field(default_factory=list)

    @property
    def idle_total(self) -> float:
        return sum(cost for _, cost in self.idle)

    @property
    def per_million_total(self) -> float:
        return sum(cost for _, cost in self.per_million)


def load_resources(assembly: Path) -> list[dict]:
    resources = []
    for template_file in sorted(assembly.glob("*.template.json")):
        template = json.loads(template_file.read_text())
        resources.extend(template.get("Resources", {}).values())
    return resources


Line = tuple[str, float]
MILLION = 1_000_000
ASSUME = PRICES["assumptions"]


def _of_type(resources: list[dict], resource_type: str) -> list[dict]:
    return [r for r in resources if r["Type"] == resource_type]


def _monitoring_and_keys(by_type: Counter) -> list[Line]:
    """Fixed monthly charges per resource: keys, alarms, dashboards."""
    keys = by_type["AWS::KMS::Key"]
    alarms = by_type["AWS::CloudWatch::Alarm"]
    composites = by_type["AWS::CloudWatch::CompositeAlarm"]
    dashboards = by_type["AWS::CloudWatch::Dashboard"]
    return [
        (f"KMS keys x{keys}", keys * price("kms_key_month")),
        (
            f"S3 storage, {ASSUME['lake_data_gb']} GB of lake data",
            ASSUME["lake_data_gb"] * price("s3_standard_gb_month"),
        ),
        (f"CloudWatch alarms x{alarms}", alarms * price("cloudwatch_alarm_month")),
        (f"Composite alarms x{composites}", composites * price("cloudwatch_composite_alarm_month")),
        (f"Dashboards x{dashboards}", dashboards * price("cloudwatch_dashboard_month")),
    ]


def _always_free_credit(by_type: Counter) -> float:
    free = PRICES["always_free"]
    alarms = min(by_type["AWS::CloudWatch::Alarm"], free["cloudwatch_alarms"])
    dashboards = min(by_type["AWS::CloudWatch::Dashboard"], free["cloudwatch_dashboards"])
    return alarms * price("cloudwatch_alarm_month") + dashboards * price(
        "cloudwatch_dashboard_month"
    )


def _endpoint_idle(resources: list[dict]) -> list[Line]:
    found: list[Line] = []
    for config in _of_type(resources, "AWS::SageMaker::EndpointConfig"):
        props = config["Properties"]
        # A shadow variant runs (and bills) its own instances like a production one.
        shadows = props.get("ShadowProductionVariants", [])
        for variant in [*props["ProductionVariants"], *shadows]:
            if "ServerlessConfig" in variant:
                found.append(("SageMaker serverless endpoint (no idle charge)", 0.0))
                continue
            instance, count = variant["InstanceType"], variant["InitialInstanceCount"]
            hourly = PRICES["sagemaker_instance_hour"]["price"][instance]
            named = "" if variant["VariantName"] == "AllTraffic" else f" ({variant['VariantName']})"
            found.append(
                (
                    f"SageMaker endpoint {count} x {instance}{named}",
                    count * hourly * ASSUME["hours_per_month"],
                )
            )
    return found


def _waf_idle(resources: list[dict]) -> list[Line]:
    found: list[Line] = []
    for acl in _of_type(resources, "AWS::WAFv2::WebACL"):
        rules = len(acl["Properties"].get("Rules", []))
        cost = price("waf_web_acl_month") + rules * price("waf_rule_month")
        found.append((f"WAF web ACL with {rules} rules", cost))
    return found


PAY_PER_USE = (
    "Glue job",
    "Glue crawler",
    "Step Functions",
    "Lambda",
    "API Gateway",
    "CloudFront",
    "Athena",
)


def _serverless_memory_gb(resources: list[dict]) -> float:
    for config in _of_type(resources, "AWS::SageMaker::EndpointConfig"):
        for variant in config["Properties"]["ProductionVariants"]:
            if "ServerlessConfig" in variant:
                return variant["ServerlessConfig"]["MemorySizeInMB"] / 1024
    return 0.0


def _predict_lambda_memory_gb(resources: list[dict]) -> float:
    sizes = (
        r["Properties"].get("MemorySize", 128)
        for r in _of_type(resources, "AWS::Lambda::Function")
        if r["Properties"].get("Handler") == "handler.handler"
    )
    return max(sizes, default=128) / 1024


def _comprehend(resources: list[dict]) -> list[Line]:
    """Amazon Comprehend's sentiment per review, when it is the predict Lambda's backend."""
    backends = {
        r["Properties"].get("Environment", {}).get("Variables", {}).get("BACKEND")
        for r in _of_type(resources, "AWS::Lambda::Function")
        if r["Properties"].get("Handler") == "handler.handler"
    }
    if "comprehend" not in backends:
        return []
    # Billed per unit of 100 characters, at least 3 units per text (one review each).
    units = max(3, math.ceil(ASSUME["comprehend_chars_per_review"] / 100))
    return [
        (
            f"Comprehend sentiment ({units} units of 100 chars a review)",
            MILLION * units * price("comprehend_sentiment_unit"),
        )
    ]


def _per_gb(kb_per_request: float, price_name: str, *, times: int = 1) -> float:
    """A million requests of `kb_per_request` each (times `times`), priced per GB."""
    return MILLION * times * kb_per_request / 1024 / 1024 * price(price_name)


def _request_path(resources: list[dict]) -> list[Line]:
    """API Gateway, Lambda and endpoint compute for a million one-review requests."""
    lambda_gb, lambda_ms = (
        _predict_lambda_memory_gb(resources),
        ASSUME["lambda_billed_ms_per_request"],
    )
    found: list[Line] = [
        ("API Gateway REST calls", price("api_gateway_rest_per_million")),
        ("Lambda requests", price("lambda_requests_per_million")),
        (
            f"Lambda compute ({lambda_gb:.2f} GB x {lambda_ms} ms)",
            MILLION * lambda_gb * lambda_ms / 1000 * price("lambda_gb_second"),
        ),
    ]
    comprehend = _comprehend(resources)
    if comprehend:
        return [*found, *comprehend]
    endpoint_gb, endpoint_ms = (
        _serverless_memory_gb(resources),
        ASSUME["endpoint_billed_ms_per_request"],
    )
    if not endpoint_gb:
        return [*found, ("SageMaker instances (already in the idle cost)", 0.0)]
    return [
        *found,
        (
            f"SageMaker serverless compute ({endpoint_gb:.0f} GB x {endpoint_ms} ms)",
            MILLION * endpoint_gb * endpoint_ms / 1000 * price("sagemaker_serverless_gb_second"),
        ),
        (
            "SageMaker serverless data in and out",
            _per_gb(ASSUME["payload_kb_per_request"], "sagemaker_serverless_data_gb", times=2),
        ),
    ]


def _observability(resources: list[dict]) -> list[Line]:
    """Logs, traces, captured requests and WAF inspection per million requests."""
    found: list[Line] = [
        (
            f"CloudWatch Logs ({ASSUME['log_kb_per_request']} KB per request)",
            _per_gb(ASSUME["log_kb_per_request"], "cloudwatch_logs_ingest_gb"),
        ),
        (
            f"X-Ray traces ({ASSUME['xray_sampled_share']:.0%} sampled)",
            ASSUME["xray_sampled_share"] * price("xray_traces_per_million"),
        ),
    ]
    for config in _of_type(resources, "AWS::SageMaker::EndpointConfig"):
        capture = config["Properties"].get("DataCaptureConfig")
        if capture:
            share = capture["InitialSamplingPercentage"] / 100
            found.append(
                (
                    f"Data capture S3 writes ({share:.0%} of requests)",
                    MILLION * share / 1000 * price("s3_put_per_1000"),
                )
            )
    if _of_type(resources, "AWS::WAFv2::WebACL"):
        found.append(("WAF requests inspected", price("waf_requests_per_million")))
    return found


def estimate(assembly: Path) -> Estimate:
    resources = load_resources(assembly)
    if not resources:
        raise SystemExit(f"no templates in {assembly}: run `make synth STAGE=...` first")
    by_type = Counter(r["Type"] for r in resources)
    return Estimate(
        stage=assembly.name,
        idle=[
            *_monitoring_and_keys(by_type),
            *_endpoint_idle(resources),
            *_waf_idle(resources),
            *((f"{kind} (pay per use)", 0.0) for kind in PAY_PER_USE),
        ],
        per_million=[*_request_path(resources), *_observability(resources)],
        always_free_credit=_always_free_credit(by_type),
        batch_run=batch_run_lines(resources, PRICES, ASSUME),
    )


def render(result: Estimate) -> str:
    lines = [
        f"Stage {result.stage}: estimated monthly cost in us-east-1 (list prices, no free tier)"
    ]
    lines.append("  Idle (nobody calls the API):")
    lines += [f"    {name:<58} ${cost:>9.2f}" for name, cost in result.idle]
    lines.append(f"    {'total idle per month, list prices':<58} ${result.idle_total:>9.2f}")
    lines.append(
        f"    {'total idle per month with CloudWatch always-free allowance':<58} "
        f"${result.idle_total - result.always_free_credit:>9.2f}"
    )
    lines.append("  Per million predictions (one review each):")
    lines += [f"    {name:<58} ${cost:>9.2f}" for name, cost in result.per_million]
    lines.append(f"    {'total per million predictions':<58} ${result.per_million_total:>9.2f}")
    if result.batch_run:
        lines.append("  Per batch scoring run of a million reviews (Batch Transform):")
        lines += [f"    {name:<58} ${cost:>9.2f}" for name, cost in result.batch_run]
        total = sum(cost for _, cost in result.batch_run)
        lines.append(f"    {'total per batch run of a million reviews':<58} ${total:>9.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assemblies", nargs="+", type=Path, help="cdk.out/<stage> directories")
    args = parser.parse_args()
    for assembly in args.assemblies:
        print(render(estimate(assembly)))
        print()


if __name__ == "__main__":
    main()
