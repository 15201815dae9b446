"""`make drift` and `make ab-report` on what a local session wrote (capture, request log)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_inference import probability_positive, write_fake_model
from local_http import request

from ab_report import main as ab_report_main
from data_capture import CaptureWriter
from drift import main as drift_main
from drift import verdict
from drift_features import BASELINE_FILENAME, build_baseline
from local_runtime import LocalRuntime
from local_server import running_server
from request_log import RequestLog
from variant_router import VariantSpec

WORDS = ["good", "great", "dull", "awful", "film", "plot", "cast", "music", "story", "scene"]


def long_reviews(count: int) -> list[str]:
    # 20-60 words, a varied mix of sentiment words: the validation split of the baseline.
    return [" ".join(WORDS[(i * 7 + k * 3) % 10] for k in range(20 + i % 41)) for i in range(count)]


@pytest.fixture(scope="module")
def model_with_baseline(tmp_path_factory) -> Path:
    model_dir = write_fake_model(tmp_path_factory.mktemp("drift-model"), length_weight=0.01)
    texts = long_reviews(400)
    baseline = build_baseline(
        train_texts=texts,
        validation_texts=texts,
        probability_positive=[probability_positive(t, 0.01) for t in texts],
        uncertainty_threshold=0.6,
    )
    (model_dir / BASELINE_FILENAME).write_text(json.dumps(baseline))
    return model_dir


def capture(model_dir: Path, folder: Path, traffic: dict[str, list[str]]) -> None:
    variants = [VariantSpec(name, model_dir, 1) for name in traffic]
    runtime = LocalRuntime(
        variants=variants, capture=CaptureWriter(folder, "local-endpoint", "base64")
    )
    for name, reviews in traffic.items():
        for review in reviews:
            body = json.dumps({"review": review})
            runtime.invoke_endpoint(
                EndpointName=runtime.endpoint_name, Body=body, TargetVariant=name
            )
    runtime.close()


def test_drift_table_flags_short_snippets_and_not_familiar_traffic(
    model_with_baseline, tmp_path, capsys
):
    snippets = [" ".join(WORDS[(i + k) % 10] for k in range(4)) for i in range(150)]
    capture(
        model_with_baseline,
        tmp_path,
        {"familiar": long_reviews(400), "snippets": snippets, "few": snippets[:20]},
    )
    assert drift_main([str(tmp_path), "--model-dir", str(model_with_baseline)]) == 0
    output = capsys.readouterr().out
    assert "570 capture records, 570 scored reviews; skipped: 0 malformed" in output
    sections = {block.split(":")[0]: block for block in output.split("local-endpoint/")[1:]}
    assert "fewer than min_reviews=100: nothing published" in sections["few"]
    familiar = {line.split()[0]: line.split() for line in sections["familiar"].splitlines()[2:]}
    snippets_rows = {
        line.split()[0]: line.split() for line in sections["snippets"].splitlines()[2:]
    }
    assert float(familiar["ScorePsi"][1]) < 0.01 and familiar["LengthPsi"][3] == "ok"
    assert float(snippets_rows["LengthPsi"][1]) > 0.25 and snippets_rows["LengthPsi"][3] == "ALARM"


def test_drift_without_a_baseline_says_so_and_exits_cleanly(fake_model_dir, tmp_path, capsys):
    capture(fake_model_dir, tmp_path, {"AllTraffic": ["A good film."] * 3})
    assert drift_main([str(tmp_path), "--model-dir", str(fake_model_dir)]) == 0
    assert f"has no {BASELINE_FILENAME}; nothing to compare with" in capsys.readouterr().out
    assert drift_main([str(tmp_path / "missing"), "--model-dir", str(fake_model_dir)]) == 2


def test_a_local_ab_session_over_http_ends_in_a_verdict(fake_model_dir, tmp_path, capsys):
    inverted = write_fake_model(tmp_path / "inverted", invert=True)
    log = tmp_path / "requests.jsonl"
    variants = [VariantSpec("champion", inverted, 1), VariantSpec("challenger", fake_model_dir, 1)]
    runtime = LocalRuntime(variants=variants, seed=5, request_log=RequestLog(log))
    reviews = [("A great, wonderful film.", "positive"), ("Dull and awful.", "negative")] * 150
    with running_server(runtime=runtime) as server:
        for review, truth in reviews:
            headers = {"Content-Type": "application/json", "X-True-Label": truth}
            body = json.dumps({"review": review}).encode()
            assert request(server, "POST", "/predict", body, headers)[0] == 200
    assert ab_report_main([str(log), "--champion", "champion"]) == 0
    output = capsys.readouterr().out
    assert "challenger (challenger) vs champion (champion):" in output
    assert "accuracy 100.00% vs 0.00%" in output
    assert "verdict: PROMOTE" in output
    assert ab_report_main([str(log), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    calls = {name: v["invocations"] for name, v in document["variants"].items()}
    assert sum(calls.values()) == 300 and min(calls.values()) > 100


def test_ab_report_needs_a_log_with_two_variants(tmp_path, capsys):
    assert ab_report_main([str(tmp_path / "none.jsonl")]) == 2
    one = tmp_path / "one.jsonl"
    one.write_text(
        json.dumps({"variant": "a", "status": 200, "latency_ms": 1, "predictions": []}) + "\n"
    )
    assert ab_report_main([str(one)]) == 2
    assert "an A/B report needs two" in capsys.readouterr().err


def test_the_table_says_what_the_cloud_alarms_would_say_at_their_thresholds():
    from stacks.config import cdk_json_context, stage_config

    drift = stage_config(cdk_json_context(), "prod").monitoring.drift
    # CloudWatch compares with GreaterThanThreshold: a value at a threshold is below it.
    assert verdict("ScorePsi", drift.psi_alarm, drift) == "warning"
    assert verdict("ScorePsi", drift.psi_warning, drift) == "ok"
    assert verdict("LengthPsi", drift.psi_alarm + 0.01, drift) == "ALARM"
    assert verdict("OovRate", drift.oov_rate_alarm, drift) == "ok"
    assert verdict("OovRate", drift.oov_rate_alarm + 0.01, drift) == "ALARM"
