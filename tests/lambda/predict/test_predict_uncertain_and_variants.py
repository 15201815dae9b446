"""`uncertain` in every prediction, and the variant that answered (or was pinned)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from predict_fakes import TEST_SETTINGS, emf_records, error_of, metric_names

import handler as handler_module

PINNING = dataclasses.replace(
    TEST_SETTINGS, allow_target_variant=True, variants=("champion", "challenger")
)


@pytest.fixture
def pinning_api(api):
    handler_module.configure(settings=PINNING, runtime=api.runtime, sagemaker=api.sagemaker)
    return api


def pinned(name: str) -> dict[str, dict[str, str]]:
    return {"headers": {"X-Target-Variant": name}}


# -- uncertain -------------------------------------------------------------------------------
def test_each_prediction_says_whether_it_is_uncertain(api):
    answer = api.predict({"reviews": ["good", "A good film, truly"]})
    assert answer.status == 200
    # The fake model is unsure below 0.55; its probability_positive is not passed on.
    assert answer.json["predictions"] == [
        {"label": "positive", "score": pytest.approx(0.54), "uncertain": True},
        {"label": "positive", "score": pytest.approx(0.68), "uncertain": False},
    ]
    assert answer.json["backend"] == "sagemaker"
    assert answer.json["model"] == "v7"


@pytest.mark.parametrize("uncertain", ["missing", None, 0, 1, "false", [True]])
def test_a_model_answer_without_a_boolean_uncertain_is_invalid(api, uncertain):
    prediction = {"label": "positive", "score": 0.9}
    if uncertain != "missing":
        prediction["uncertain"] = uncertain
    api.runtime.model = lambda body: json.dumps({"predictions": [prediction]}).encode()
    answer = api.predict({"review": "good"})
    assert answer.status == 502
    assert error_of(answer)["code"] == "invalid_model_response"


# -- the variant that answered ---------------------------------------------------------------
def test_the_answer_names_the_variant_that_answered(api, handler_logs, capsys):
    api.runtime.variant = "champion"
    answer = api.predict({"reviews": ["good", "bad"]})
    assert answer.json["variant"] == "champion"
    assert "TargetVariant" not in api.runtime.calls[0]

    (line,) = [r for r in handler_logs if getattr(r, "route", None) == "/predict"]
    assert (line.variant, line.backend, line.status) == ("champion", "sagemaker", 200)
    records = emf_records(capsys.readouterr().out)
    by_variant = [r for r in records if "PredictionsByVariant" in metric_names(r)]
    # A record of its own: the Variant dimension does not split the other metrics.
    assert len(by_variant) == 1
    assert metric_names(by_variant[0]) == {"PredictionsByVariant"}
    assert by_variant[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "Variant"]]
    assert (by_variant[0]["Variant"], by_variant[0]["PredictionsByVariant"]) == ("champion", [2.0])
    reviews_record = next(r for r in records if "ReviewsPredicted" in metric_names(r))
    assert "Variant" not in reviews_record


def test_an_answer_without_invoked_variant_says_null(api):
    api.runtime.invoke_endpoint = _without_variant(api.runtime.invoke_endpoint)
    answer = api.predict({"review": "good"})
    assert answer.status == 200
    assert answer.json["variant"] is None


def _without_variant(invoke):
    def call(**kwargs):
        answer = invoke(**kwargs)
        answer.pop("InvokedProductionVariant")
        return answer

    return call


# -- X-Target-Variant ------------------------------------------------------------------------
def test_a_pinned_request_goes_to_that_variant(pinning_api, handler_logs):
    answer = pinning_api.predict({"review": "good"}, **pinned("challenger"))
    assert answer.status == 200
    assert pinning_api.runtime.calls[0]["TargetVariant"] == "challenger"
    assert answer.json["variant"] == "challenger"
    (line,) = [r for r in handler_logs if getattr(r, "route", None) == "/predict"]
    assert (line.target_variant, line.variant) == ("challenger", "challenger")


def test_the_header_name_is_case_insensitive_and_empty_pins_nothing(pinning_api):
    assert pinning_api.predict({"review": "good"}, **pinned("")).status == 200
    answer = pinning_api.predict({"review": "good"}, headers={"x-target-variant": "champion"})
    assert answer.status == 200
    assert "TargetVariant" not in pinning_api.runtime.calls[0]
    assert pinning_api.runtime.calls[1]["TargetVariant"] == "champion"


@pytest.mark.parametrize("name", ["Champion", "AllTraffic", "champion,challenger", "x" * 500])
def test_an_unknown_variant_is_400_before_any_call(pinning_api, name):
    answer = pinning_api.predict({"review": "good"}, **pinned(name))
    assert answer.status == 400
    assert error_of(answer)["code"] == "unknown_variant"
    assert "champion, challenger" in error_of(answer)["message"]
    assert len(error_of(answer)["message"]) < 200
    assert pinning_api.runtime.calls == []


def test_pinning_is_refused_where_the_stage_does_not_allow_it(api):
    answer = api.predict({"review": "good"}, **pinned("AllTraffic"))
    assert answer.status == 400
    assert error_of(answer)["code"] == "variant_pinning_disabled"
    assert api.runtime.calls == []


def test_a_bad_body_is_still_refused_for_its_body_when_pinned(pinning_api):
    answer = pinning_api.predict({"reviews": []}, **pinned("champion"))
    assert error_of(answer)["code"] == "invalid_request"


def test_browsers_may_send_the_pinning_header(api):
    answer = api.call("OPTIONS", "/predict", content_type=None)
    assert "X-Target-Variant" in answer.headers["Access-Control-Allow-Headers"]
