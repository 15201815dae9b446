"""The local server refuses what the stage's Lambda refuses: the limits come from cdk.json."""

from __future__ import annotations

import pytest
from local_http import post_json

from local_server import running_server
from serve import main as serve_main
from stacks.config import ConfigError, ServingConfig, cdk_json_context, stage_config


def serving(stage: str) -> ServingConfig:
    return stage_config(cdk_json_context(), stage).serving


def test_the_server_takes_the_limits_the_stack_gives_the_function(server):
    """Without --stage, the context's own stage, as for `cdk synth` without -c stage=."""
    limits = stage_config(cdk_json_context()).serving
    settings = server.settings
    assert (settings.max_reviews, settings.max_review_chars, settings.max_body_bytes) == (
        limits.max_reviews_per_request,
        limits.max_review_chars,
        limits.max_body_bytes,
    )


def test_a_review_at_the_stage_limit_passes_and_one_character_more_is_413(server):
    limit = serving("dev").max_review_chars
    # Words rather than one long token, so the model sees a review it can read.
    review = ("good film " * limit)[:limit]
    status, _, body = post_json(server, {"review": review})
    assert status == 200, body
    status, _, body = post_json(server, {"review": review + "!"})
    assert (status, body["error"]["code"]) == (413, "review_too_long")
    assert f"the limit is {limit}." in body["error"]["message"]


def test_one_review_more_than_the_stage_allows_is_400(server):
    count = serving("dev").max_reviews_per_request
    status, _, body = post_json(server, {"reviews": ["A fine film."] * count})
    assert status == 200 and len(body["predictions"]) == count
    status, _, body = post_json(server, {"reviews": ["A fine film."] * (count + 1)})
    assert (status, body["error"]["code"]) == (400, "too_many_reviews")


def test_a_body_over_the_stage_byte_limit_is_413(server):
    size = serving("dev").max_body_bytes
    status, _, body = post_json(server, {"review": "x" * size})
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


def test_another_stage_brings_its_own_limits(trained_model_dir):
    prod = serving("prod")
    with running_server(model_dir=trained_model_dir, stage="prod") as server:
        assert server.settings.max_reviews == prod.max_reviews_per_request
        assert server.settings.max_review_chars == prod.max_review_chars
        status, _, body = post_json(
            server, {"reviews": ["Fine."] * (prod.max_reviews_per_request + 1)}
        )
        assert (status, body["error"]["code"]) == (400, "too_many_reviews")


def test_an_unknown_stage_is_refused(trained_model_dir, capsys):
    with (
        pytest.raises(ConfigError, match="unknown stage"),
        running_server(model_dir=trained_model_dir, stage="nowhere"),
    ):
        pass
    assert (
        serve_main(["--model-dir", str(trained_model_dir), "--port", "0", "--stage", "nowhere"])
        == 2
    )
    assert "unknown stage 'nowhere'" in capsys.readouterr().err
