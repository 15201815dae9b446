"""Estimate a stage's monthly idle cost and its cost per million predictions.

Reads the synthesised CloudFormation templates (what would be deployed), not the
configuration, and prices them with `prices_us_east_1.json` beside this file.

Usage: python cost/estimate.py cdk.out/dev [cdk.out/prod ...]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

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


def estimate(assembly: Path) -> Estimate:
    resources = load_resources(assembly)
    if not resources:
        raise SystemExit(f"no templates in {assembly}: run `make synth STAGE=...` first")
    stage = assembly.name
    by_type = Counter(r["Type"] for r in resources)
    assume = PRICES["assumptions"]
    hours = assume["hours_per_month"]
    result = Estimate(stage=stage)

    # --- fixed monthly cost, whether or not anyone calls the API ----------------------
    result.idle.append(
        (f"KMS keys x{by_type['AWS::KMS::Key']}", by_type["AWS::KMS::Key"] * price("kms_key_month"))
    )
    result.idle.append(
        (
            f"S3 storage, {assume['lake_data_gb']} GB of lake data",
            assume["lake_data_gb"] * price("s3_standard_gb_month"),
        )
    )
    alarms = by_type["AWS::CloudWatch::Alarm"]
    result.idle.append((f"CloudWatch alarms x{alarms}", alarms * price("cloudwatch_alarm_month")))
    composites = by_type["AWS::CloudWatch::CompositeAlarm"]
    result.idle.append(
        (f"Composite alarms x{composites}", composites * price("cloudwatch_composite_alarm_month"))
    )
    dashboards = by_type["AWS::CloudWatch::Dashboard"]
    result.idle.append(
        (f"Dashboards x{dashboards}", dashboards * price("cloudwatch_dashboard_month"))
    )

    serverless_memory_gb = 0.0
    for config in (r for r in resources if r["Type"] == "AWS::SageMaker::EndpointConfig"):
        for variant in config["Properties"]["ProductionVariants"]:
            if "ServerlessConfig" in variant:
                serverless_memory_gb = variant["ServerlessConfig"]["MemorySizeInMB"] / 1024
                result.idle.append(("SageMaker serverless endpoint (no idle charge)", 0.0))
            else:
                instance = variant["InstanceType"]
                count = variant["InitialInstanceCount"]
                hourly = PRICES["sagemaker_instance_hour"]["price"][instance]
                result.idle.append(
                    (f"SageMaker endpoint {count} x {instance}", count * hourly * hours)
                )

    free = PRICES["always_free"]
    result.always_free_credit = min(alarms, free["cloudwatch_alarms"]) * price(
        "cloudwatch_alarm_month"
    ) + min(dashboards, free["cloudwatch_dashboards"]) * price("cloudwatch_dashboard_month")

    waf_acls = [r for r in resources if r["Type"] == "AWS::WAFv2::WebACL"]
    for acl in waf_acls:
        rules = len(acl["Properties"].get("Rules", []))
        result.idle.append(
            (
                f"WAF web ACL with {rules} rules",
                price("waf_web_acl_month") + rules * price("waf_rule_month"),
            )
        )
    for kind in (
        "Glue job",
        "Glue crawler",
        "Step Functions",
        "Lambda",
        "API Gateway",
        "CloudFront",
        "Athena",
    ):
        result.idle.append((f"{kind} (pay per use)", 0.0))

    # --- per million predictions -------------------------------------------------------
    million = 1_000_000
    lambda_ms = assume["lambda_billed_ms_per_request"]
    endpoint_ms = assume["endpoint_billed_ms_per_request"]
    result.per_million.append(("API Gateway REST calls", price("api_gateway_rest_per_million")))
    lambda_memory_gb = (
        max(
            (
                r["Properties"].get("MemorySize", 128)
                for r in resources
                if r["Type"] == "AWS::Lambda::Function"
                and r["Properties"].get("Handler") == "handler.handler"
            ),
            default=128,
        )
        / 1024
    )
    result.per_million.append(("Lambda requests", price("lambda_requests_per_million")))
    result.per_million.append(
        (
            f"Lambda compute ({lambda_memory_gb:.2f} GB x {lambda_ms} ms)",
            million
            * lambda_memory_gb
            * assume["lambda_billed_ms_per_request"]
            / 1000
            * price("lambda_gb_second"),
        )
    )
    if serverless_memory_gb:
        result.per_million.append(
            (
                f"SageMaker serverless compute ({serverless_memory_gb:.0f} GB x {endpoint_ms} ms)",
                million
                * serverless_memory_gb
                * assume["endpoint_billed_ms_per_request"]
                / 1000
                * price("sagemaker_serverless_gb_second"),
            )
        )
        result.per_million.append(
            (
                "SageMaker serverless data in and out",
                million
                * 2
                * assume["payload_kb_per_request"]
                / 1024
                / 1024
                * price("sagemaker_serverless_data_gb"),
            )
        )
    else:
        result.per_million.append(("SageMaker instances (already in the idle cost)", 0.0))
    result.per_million.append(
        (
            f"CloudWatch Logs ({assume['log_kb_per_request']} KB per request)",
            million
            * assume["log_kb_per_request"]
            / 1024
            / 1024
            * price("cloudwatch_logs_ingest_gb"),
        )
    )
    result.per_million.append(
        (
            f"X-Ray traces ({assume['xray_sampled_share']:.0%} sampled)",
            assume["xray_sampled_share"] * price("xray_traces_per_million"),
        )
    )
    for config in (r for r in resources if r["Type"] == "AWS::SageMaker::EndpointConfig"):
        capture = config["Properties"].get("DataCaptureConfig")
        if capture:
            share = capture["InitialSamplingPercentage"] / 100
            result.per_million.append(
                (
                    f"Data capture S3 writes ({share:.0%} of requests)",
                    million * share / 1000 * price("s3_put_per_1000"),
                )
            )
    if waf_acls:
        result.per_million.append(("WAF requests inspected", price("waf_requests_per_million")))
    return result


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
