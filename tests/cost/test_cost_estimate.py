"""`make cost` prices what the templates would deploy."""

from __future__ import annotations

import pytest

from cost.estimate import PRICES, estimate, render


def test_dev_idle_cost_has_no_endpoint_instances(dev):
    result = estimate(dev.assembly_dir)
    names = [name for name, _ in result.idle]
    assert "SageMaker serverless endpoint (no idle charge)" in names
    # One customer key (the topic shares the lake's) and no dashboard in dev.
    kms = dict(result.idle)["KMS keys x1"]
    assert kms == PRICES["kms_key_month"]["price"]
    assert dict(result.idle)["Dashboards x0"] == 0
    # A dev stage idles under $5 a month at list price, free tier or not.
    assert result.idle_total < 5.0
    assert any(name.startswith("SageMaker serverless compute") for name, _ in result.per_million)


def test_prod_idle_cost_counts_every_endpoint_instance_hour(prod):
    result = estimate(prod.assembly_dir)
    serving = prod.config.serving
    hourly = PRICES["sagemaker_instance_hour"]["price"][serving.instance_type]
    label = f"SageMaker endpoint {serving.initial_instance_count} x {serving.instance_type}"
    assert dict(result.idle)[label] == pytest.approx(
        serving.initial_instance_count * hourly * PRICES["assumptions"]["hours_per_month"]
    )
    assert any(name.startswith("WAF web ACL") for name, _ in result.idle)
    assert "total per million predictions" in render(result)


def test_every_price_names_its_source():
    for name, entry in PRICES.items():
        if name.startswith("_") or name in {"assumptions", "always_free"}:
            continue
        assert entry["source"].startswith("https://aws.amazon.com/"), name
