"""`make serve` options: variants, seed, capture and request log become the endpoint."""

from __future__ import annotations

import pytest

import batch
import repo_paths
from serve import build_runtime, parse_args


def test_variant_options_build_a_routed_capturing_logging_endpoint(fake_model_dir, tmp_path):
    args = parse_args(
        [
            "--variant", f"blue={fake_model_dir}:3",
            "--variant", f"green={fake_model_dir}:1",
            "--seed", "9",
            "--capture-dir", str(tmp_path / "capture"),
            "--capture-encoding", "base64",
            "--request-log", str(tmp_path / "log" / "requests.jsonl"),
        ]
    )  # fmt: skip
    runtime = build_runtime(args)
    try:
        assert runtime.router.shares() == {"blue": 0.75, "green": 0.25}
        assert runtime.capture is not None and runtime.capture.encoding == "base64"
        assert runtime.request_log is not None
        assert (tmp_path / "log").is_dir()
    finally:
        runtime.close()


def test_without_variants_the_model_dir_serves_all_traffic(fake_model_dir):
    runtime = build_runtime(parse_args(["--model-dir", str(fake_model_dir)]))
    assert list(runtime.variants) == ["AllTraffic"]
    assert runtime.capture is None and runtime.request_log is None


@pytest.mark.parametrize("option", ["nameless", "bad_name=dir:1", "a=dir:-1"])
def test_a_bad_variant_option_is_a_usage_error(option, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--variant", option])
    assert stopped.value.code == 2
    assert "--variant" in capsys.readouterr().err


def test_the_batch_twin_finds_the_etl_scoring_channel(tmp_path, monkeypatch):
    monkeypatch.setattr(repo_paths, "REPO_ROOT", tmp_path)
    curated = tmp_path / "build" / "etl" / "curated"
    # Where `make etl` writes it (the demo's batch step reads it from there).
    assert batch.default_input() == curated / "scoring"
