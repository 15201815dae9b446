"""inference.py's handlers as the serving container calls them, on the model train.py wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import inference
from inference import InvalidInputError, input_fn, model_fn, output_fn, predict_fn
from sentiment_model import NgramNBEnsemble

POSITIVE = "A wonderful, brilliant film.<br />I loved the superb cast!"
NEGATIVE = "Dreadful and boring. The plot was a terrible waste..."


@pytest.fixture(scope="module")
def model(trained):
    return model_fn(str(trained["model_dir"]))


def _serve(model, body, content_type="application/json", accept="application/json"):
    response, response_type = output_fn(predict_fn(input_fn(body, content_type), model), accept)
    assert response_type == "application/json"
    return json.loads(response)["predictions"]


@pytest.mark.training
def test_model_fn_loads_what_train_wrote(model):
    assert isinstance(model, NgramNBEnsemble)
    assert list(model.classes_) == [0, 1]
    assert model.word_hasher_.n_bits == 14  # the small test hyperparameters reached the model
    assert [len(n.columns_) for n in model.network_models_] == [1, 2]  # word; word + char
    assert model._tables is not None  # model_fn built the serving lookups before traffic


@pytest.mark.training
@pytest.mark.parametrize("as_bytes", [False, True])
def test_json_reviews_list(model, as_bytes):
    body = json.dumps({"reviews": [POSITIVE, NEGATIVE]})
    predictions = _serve(model, body.encode() if as_bytes else body)
    assert [p["label"] for p in predictions] == ["positive", "negative"]


@pytest.mark.training
def test_json_single_review_with_charset(model):
    body = json.dumps({"review": POSITIVE}).encode("utf-8")
    predictions = _serve(model, body, "application/json; charset=utf-8")
    assert len(predictions) == 1
    assert predictions[0]["label"] == "positive"


# Blank lines are skipped; a quoted line is unquoted as in CSV ("" -> ").
QUOTED_NEGATIVE = '"' + NEGATIVE.replace(".", '""') + '"'
CSV_BODY = f"{POSITIVE}\n\n   \n{QUOTED_NEGATIVE}\r\n"


def test_csv_one_review_per_line():
    assert input_fn(CSV_BODY, "text/csv") == [POSITIVE, NEGATIVE.replace(".", '"')]
    assert input_fn(CSV_BODY.encode(), "text/csv; charset=utf-8") == input_fn(CSV_BODY, "text/csv")


@pytest.mark.training
def test_csv_reviews_are_served(model):
    predictions = _serve(model, CSV_BODY.encode(), "text/csv")
    assert [p["label"] for p in predictions] == ["positive", "negative"]


@pytest.mark.training
def test_scores_are_probabilities_of_the_returned_label(model):
    reviews = [POSITIVE, NEGATIVE, "the film", "an ok film, not great, not awful"]
    predictions = predict_fn(reviews, model)
    p_positive = model.predict_proba(reviews)[:, 1]
    for prediction, p in zip(predictions, p_positive, strict=True):
        assert 0.0 <= prediction["score"] <= 1.0
        assert prediction["score"] >= 0.5
        expected = p if prediction["label"] == "positive" else 1.0 - p
        assert prediction["score"] == pytest.approx(expected, abs=1e-6)
        assert (prediction["label"] == "positive") == (p > 0.5)
    assert [p["label"] for p in predictions] == [
        ["negative", "positive"][c] for c in model.predict(reviews)
    ]


@pytest.mark.parametrize(
    "accept", [None, "", "*/*", "application/json", "text/html, application/*"]
)
def test_output_accepts_json(accept):
    body, content_type = output_fn([{"label": "positive", "score": 0.9}], accept)
    assert json.loads(body) == {"predictions": [{"label": "positive", "score": 0.9}]}
    assert content_type == "application/json"


def test_output_rejects_other_accept_types():
    with pytest.raises(InvalidInputError) as caught:
        output_fn([{"label": "positive", "score": 0.9}], "text/csv")
    assert caught.value.code == "not_acceptable"
    assert caught.value.status_code == 406


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ("{not json", "application/json", "invalid_json"),
        (b"\xff\xfe\x00", "application/json", "invalid_encoding"),
        ('["a list"]', "application/json", "invalid_type"),
        ("{}", "application/json", "missing_field"),
        ('{"text": "great"}', "application/json", "missing_field"),
        ('{"reviews": "great"}', "application/json", "invalid_type"),
        ('{"reviews": [1, 2]}', "application/json", "invalid_type"),
        ('{"review": null}', "application/json", "invalid_type"),
        ('{"reviews": []}', "application/json", "empty_batch"),
        ('{"review": ""}', "application/json", "empty_review"),
        ('{"reviews": ["fine", "   "]}', "application/json", "empty_review"),
        ('{"review": "<br /><br />"}', "application/json", "empty_review"),
        ('{"review": "\\u200b\\u00a0&nbsp;"}', "application/json", "empty_review"),
        ("\n  \n", "text/csv", "empty_batch"),
        ("great film", "text/plain", "unsupported_media_type"),
        ("great film", None, "unsupported_media_type"),
        (12345, "application/json", "invalid_body"),
    ],
)
def test_bad_bodies_raise_typed_errors(body, content_type, code):
    with pytest.raises(InvalidInputError) as caught:
        input_fn(body, content_type)
    assert caught.value.code == code
    assert str(caught.value).startswith(f"{code}: ")
    assert caught.value.status_code == (415 if code == "unsupported_media_type" else 400)
    assert isinstance(caught.value, ValueError)


def test_batch_size_is_capped():
    body = json.dumps({"reviews": ["fine"] * (inference.MAX_BATCH_SIZE + 1)})
    with pytest.raises(InvalidInputError) as caught:
        input_fn(body, "application/json")
    assert caught.value.code == "batch_too_large"
    at_cap = json.dumps({"reviews": ["fine"] * inference.MAX_BATCH_SIZE})
    assert len(input_fn(at_cap, "application/json")) == inference.MAX_BATCH_SIZE


@pytest.mark.training
def test_model_dir_serves_on_its_own(trained, tmp_path):
    """What the container does: only model_dir/code on the path, no repository around."""
    model_dir = trained["model_dir"]
    script = (
        "import json, sys\n"
        "import inference\n"
        f"model = inference.model_fn({str(model_dir)!r})\n"
        "body = json.dumps({'review': 'superb and moving'})\n"
        "data = inference.input_fn(body, 'application/json')\n"
        "body, _ = inference.output_fn(inference.predict_fn(data, model), 'application/json')\n"
        "assert all('/training' not in p and '/common' not in p for p in sys.path[1:]), sys.path\n"
        "print(body)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(model_dir / "code")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["predictions"][0]["label"] == "positive"


@pytest.mark.training
def test_model_normalises_its_input(model):
    # Markup and entities must not change the prediction: the model applies normalize_text.
    plain = "A wonderful film. I loved it"
    marked = "A <i>wonderful</i> film.<br /><br />I&nbsp;LOVED it"
    np.testing.assert_allclose(model.predict_proba([plain]), model.predict_proba([marked]))
