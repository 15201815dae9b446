"""`make cost` prices what the templates would deploy."""

from __future__ import annotations

import pytest

from cost.estimate import PRICES, estimate, load_resources, render


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


def test_comprehend_bills_at_least_three_units_per_review(monkeypatch):
    from cost import estimate as cost_estimate

    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": "handler.handler",
            "Environment": {"Variables": {"BACKEND": "comprehend"}},
        },
    }
    unit = PRICES["comprehend_sentiment_unit"]["price"]
    for chars, units in ((120, 3), (301, 4), (1325, 14)):
        monkeypatch.setitem(cost_estimate.ASSUME, "comprehend_chars_per_review", chars)
        ((label, cost),) = cost_estimate._comprehend([function])
        assert f"({units} units" in label
        assert cost == pytest.approx(1_000_000 * units * unit)
    # A SageMaker stage pays no Comprehend line.
    function["Properties"]["Environment"]["Variables"]["BACKEND"] = "sagemaker"
    assert cost_estimate._comprehend([function]) == []


def test_a_batch_run_costs_its_instance_hours_at_the_transform_price(synthesised):
    from cost.batch_run import transform_resources

    for stage in synthesised.values():
        result = estimate(stage.assembly_dir)
        batch = stage.config.batch
        (job,) = transform_resources(load_resources(stage.assembly_dir))
        assert (job["InstanceType"], job["InstanceCount"]) == (
            batch.instance_type,
            batch.instance_count,
        )
        hourly = PRICES["sagemaker_batch_transform_instance_hour"]["price"][batch.instance_type]
        assume = PRICES["assumptions"]
        scoring, startup = result.batch_run
        # A million reviews at the assumed rate, whatever the instance count.
        hours = 1_000_000 / assume["batch_reviews_per_second_per_instance"] / 3600
        assert scoring[1] == pytest.approx(hours * hourly)
        assert startup[1] == pytest.approx(
            batch.instance_count * assume["batch_job_startup_minutes"] / 60 * hourly
        )
        assert "Per batch scoring run of a million reviews" in render(result)
    # The throughput assumption says where it comes from.
    assert "bench/serve.py" in PRICES["_batch_reviews_per_second_per_instance"]
