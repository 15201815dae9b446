"""Production variants of the local endpoint: weighted routing, pinning, the request log."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from fake_inference import write_fake_model
from hypothesis import given, settings
from hypothesis import strategies as st
from local_http import request

from local_runtime import LocalRuntime
from local_server import running_server
from request_log import RequestLog, ground_truth, parse_true_labels
from variant_router import VariantRouter, VariantSpec, parse_variant

HERE = Path(".")


@settings(max_examples=25, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=20), min_size=2, max_size=4),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_the_router_split_converges_to_the_weights(weights, seed):
    specs = [VariantSpec(f"v{i}", HERE, float(w)) for i, w in enumerate(weights)]
    router = VariantRouter(specs, seed)
    draws = 20_000
    counts = Counter(router.choose() for _ in range(draws))
    total = sum(weights)
    for index, weight in enumerate(weights):
        expected = weight / total
        # Five standard errors of a share over 20,000 draws: a fair router fails this
        # about once in three million variants.
        tolerance = 5 * (expected * (1 - expected) / draws) ** 0.5
        assert abs(counts[f"v{index}"] / draws - expected) <= tolerance


def test_the_router_is_reproducible_and_honours_pins_and_zero_weights():
    specs = [VariantSpec("a", HERE, 1), VariantSpec("b", HERE, 3), VariantSpec("off", HERE, 0)]
    router, again = VariantRouter(specs, 7), VariantRouter(specs, 7)
    sequence = [router.choose() for _ in range(500)]
    assert sequence == [again.choose() for _ in range(500)]
    assert "off" not in sequence and set(sequence) == {"a", "b"}
    assert router.choose("off") == "off"
    with pytest.raises(KeyError):
        router.choose("nope")
    assert router.shares() == {"a": 0.25, "b": 0.75, "off": 0.0}


@pytest.mark.parametrize(
    ("text", "name", "model_dir", "weight"),
    [
        ("champion=build/model/model:0.9", "champion", "build/model/model", 0.9),
        ("challenger=/tmp/weak:1", "challenger", "/tmp/weak", 1.0),
        ("solo=/tmp/model", "solo", "/tmp/model", 1.0),
    ],
)
def test_variant_options_parse(text, name, model_dir, weight):
    assert parse_variant(text) == VariantSpec(name, Path(model_dir), weight)


@pytest.mark.parametrize("text", ["no-equals", "=dir:1", "bad_name=dir:1", "a=:1"])
def test_bad_variant_options_are_refused(text):
    with pytest.raises(ValueError):
        parse_variant(text)


@pytest.fixture(scope="module")
def two_models(tmp_path_factory) -> tuple[Path, Path]:
    # The thresholds tell the models apart: "sure" is never uncertain on these reviews,
    # "unsure" always is.
    root = tmp_path_factory.mktemp("variants")
    return (
        write_fake_model(root / "sure", uncertainty_threshold=0.51),
        write_fake_model(root / "unsure", uncertainty_threshold=0.9999),
    )


def _runtime(two_models, **kwargs) -> LocalRuntime:
    sure, unsure = two_models
    variants = [VariantSpec("champion", sure, 3), VariantSpec("challenger", unsure, 1)]
    return LocalRuntime(variants=variants, seed=11, **kwargs)


def _invoke(runtime: LocalRuntime, document, **kwargs) -> dict:
    answer = runtime.invoke_endpoint(
        EndpointName=runtime.endpoint_name, Body=json.dumps(document), **kwargs
    )
    return {**json.loads(answer["Body"].read()), "variant": answer["InvokedProductionVariant"]}


def test_the_runtime_routes_by_weight_and_answers_which_variant(two_models):
    runtime = _runtime(two_models)
    answers = [_invoke(runtime, {"review": "A great film."}) for _ in range(400)]
    counts = Counter(answer["variant"] for answer in answers)
    assert 0.65 < counts["champion"] / 400 < 0.85
    for answer in answers:
        # The variant named is the model that answered.
        assert answer["predictions"][0]["uncertain"] is (answer["variant"] == "challenger")
    described = runtime.describe_endpoint(EndpointName=runtime.endpoint_name)
    assert [(v["VariantName"], v["CurrentWeight"]) for v in described["ProductionVariants"]] == [
        ("champion", 3.0),
        ("challenger", 1.0),
    ]


def test_the_runtime_honours_target_variant(two_models):
    runtime = _runtime(two_models)
    for _ in range(20):
        answer = _invoke(runtime, {"review": "A great film."}, TargetVariant="challenger")
        assert answer["variant"] == "challenger" and answer["predictions"][0]["uncertain"]
    with pytest.raises(ClientError) as raised:
        _invoke(runtime, {"review": "A great film."}, TargetVariant="ghost")
    error = raised.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ValidationError",
        400,
    )


def test_parse_true_labels_reads_the_label_table():
    assert parse_true_labels("pos") == ("positive",)
    assert parse_true_labels(" Negative., 1") == ("negative", "positive")
    assert parse_true_labels("maybe") is None and parse_true_labels("") is None


def test_the_request_log_records_variant_latency_status_and_truth(two_models, tmp_path):
    log = tmp_path / "requests.jsonl"
    runtime = _runtime(two_models, request_log=RequestLog(log))
    with ground_truth("positive, negative"):
        _invoke(runtime, {"reviews": ["Great.", "Awful."]}, TargetVariant="champion")
    with pytest.raises(ClientError):
        _invoke(runtime, {"review": "   "}, TargetVariant="challenger")
    lines = "\n".join(
        [json.dumps({"review_id": 9, "review": "dull", "label": "neg"}), "not json", ""]
    )
    runtime.invoke_endpoint(
        EndpointName=runtime.endpoint_name,
        Body=lines,
        ContentType="application/jsonlines",
        Accept="application/jsonlines",
        TargetVariant="champion",
    )
    runtime.close()
    first, refused, batch = [json.loads(line) for line in log.read_text().splitlines()]
    assert (first["variant"], first["status"], first["error_code"]) == ("champion", 200, None)
    assert first["latency_ms"] >= 0 and first["timestamp"].endswith("Z")
    assert [(p["label"], p["true_label"]) for p in first["predictions"]] == [
        ("positive", "positive"),
        ("negative", "negative"),
    ]
    assert {"score", "uncertain"} <= set(first["predictions"][0])
    assert (refused["variant"], refused["status"], refused["error_code"]) == (
        "challenger",
        400,
        "empty_review",
    )
    # A labelled JSON Lines body: the truth comes back in the answer lines.
    assert batch["predictions"] == [
        {
            "label": "negative",
            "score": pytest.approx(0.817574),
            "uncertain": False,
            "true_label": "negative",
        },
        {"error": "invalid_json"},
    ]


def test_a_model_crash_is_logged_as_a_500(tmp_path):
    model = write_fake_model(tmp_path / "crashy", crash_on="boom")
    log = tmp_path / "requests.jsonl"
    runtime = LocalRuntime(model, request_log=RequestLog(log))
    with pytest.raises(ClientError) as raised:
        _invoke(runtime, {"review": "boom"})
    assert raised.value.response["OriginalStatusCode"] == 500
    runtime.close()
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (entry["variant"], entry["status"], entry["error_code"]) == (
        "AllTraffic",
        500,
        "model_error",
    )


def test_the_server_pins_by_header_and_logs_the_true_label(two_models, tmp_path):
    log = tmp_path / "requests.jsonl"
    runtime = _runtime(two_models, request_log=RequestLog(log))
    with running_server(runtime=runtime, allow_target_variant=True) as server:
        assert server.settings.variants == ("champion", "challenger")
        assert server.settings.allow_target_variant is True
        headers = {
            "Content-Type": "application/json",
            "X-Target-Variant": "challenger",
            "X-True-Label": "pos",
        }
        body = json.dumps({"review": "A wonderful film."}).encode()
        status, _, answer = request(server, "POST", "/predict", body, headers)
    assert status == 200, answer
    assert json.loads(answer)["variant"] == "challenger"
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["variant"] == "challenger"
    assert entry["predictions"][0]["true_label"] == "positive"
