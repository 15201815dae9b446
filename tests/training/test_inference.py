"""inference.py's handlers as the serving container calls them, on the model train.py wrote.

The HTTP answers of the real serving stack (sagemaker-containers) are tested in
test_serving_container.py; here the handlers are called directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy
import numpy as np
import pytest
import scipy

import inference
from inference import RejectedRequest, input_fn, model_fn, output_fn, predict_fn
from serving_model import ServingModel

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
    assert isinstance(model, ServingModel)
    assert list(model.classes_) == [0, 1]
    # The small test hyperparameters reached the model.
    assert model.spaces["word"].hasher.n_bits == 14
    assert model.spaces["word"].tables.positions.shape == (1 << 14,)
    assert [n.spaces for n in model.networks] == [("word",), ("word", "char")]


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


def _answer(app: RejectedRequest) -> tuple[str, dict[str, str], dict]:
    """What a WSGI server (the container's Flask) makes of a returned refusal."""
    started = {}

    def start_response(status, headers):
        started.update(status=status, headers=dict(headers))

    body = b"".join(app({"REQUEST_METHOD": "POST"}, start_response))
    assert started["headers"]["Content-Length"] == str(len(body))
    return started["status"], started["headers"], json.loads(body)


def test_output_rejects_other_accept_types():
    answer = output_fn([{"label": "positive", "score": 0.9}], "text/csv")
    assert isinstance(answer, RejectedRequest)
    status, headers, body = _answer(answer)
    assert status == "406 Not Acceptable"
    assert headers["Content-Type"] == "application/json"
    assert body["error"]["code"] == "not_acceptable"
    assert body["error"]["message"].startswith("not_acceptable: cannot answer in 'text/csv'")


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ("{not json", "application/json", "invalid_json"),
        # json.loads raises RecursionError and a plain ValueError for these two.
        ('{"reviews": ' + "[" * 100_000, "application/json", "invalid_json"),
        ('{"review": ' + "1" * 5000 + "}", "application/json", "invalid_json"),
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
        ('{"review": "fine \\ud83d"}', "application/json", "invalid_encoding"),
        ("great film", "text/plain", "unsupported_media_type"),
        ("great film", None, "unsupported_media_type"),
        (12345, "application/json", "invalid_body"),
    ],
)
def test_bad_bodies_are_answered_not_raised(body, content_type, code):
    # Returned, never raised: the container turns any exception into a 500 (module doc).
    rejected = input_fn(body, content_type)
    assert isinstance(rejected, RejectedRequest)
    assert predict_fn(rejected, model=None) is rejected
    assert output_fn(rejected, "application/json") is rejected
    status, _, answer = _answer(rejected)
    expected = 415 if code == "unsupported_media_type" else 400
    assert (rejected.status_code, int(status.split()[0])) == (expected, expected)
    assert answer["error"]["code"] == code
    assert answer["error"]["message"].startswith(f"{code}: ")


def test_batch_size_is_capped():
    body = json.dumps({"reviews": ["fine"] * (inference.MAX_BATCH_SIZE + 1)})
    rejected = input_fn(body, "application/json")
    assert (rejected.code, rejected.status_code) == ("batch_too_large", 413)
    at_cap = json.dumps({"reviews": ["fine"] * inference.MAX_BATCH_SIZE})
    assert len(input_fn(at_cap, "application/json")) == inference.MAX_BATCH_SIZE


def _isolated_site(tmp_path: Path) -> Path:
    """A site directory holding numpy and scipy only (links into this venv)."""
    site = tmp_path / "site"
    site.mkdir()
    for package in (numpy, scipy):
        packages = Path(package.__file__).parents[1]
        for entry in packages.glob(f"{package.__name__}*"):
            if entry.is_dir() and not entry.name.endswith(".dist-info"):
                (site / entry.name).symlink_to(entry)
    return site


@pytest.mark.training
def test_model_dir_serves_with_numpy_and_scipy_alone(trained, tmp_path):
    """What the container does, with nothing else importable: no scikit-learn, no joblib."""
    model_dir = trained["model_dir"]
    script = (
        "import json, sys\n"
        f"sys.path[:] = [{str(model_dir / 'code')!r}, {str(_isolated_site(tmp_path))!r}, "
        "*[p for p in sys.path if 'site-packages' not in p and p]]\n"
        "import inference\n"
        f"model = inference.model_fn({str(model_dir)!r})\n"
        "body = json.dumps({'reviews': ['superb and moving', 'dreadful and dull']})\n"
        "data = inference.input_fn(body, 'application/json')\n"
        "body, _ = inference.output_fn(inference.predict_fn(data, model), 'application/json')\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules})\n"
        "print(json.dumps({'answer': json.loads(body), 'modules': loaded}))\n"
    )
    # -I: no user site, no PYTHON* variables, no script directory; -S: no site-packages;
    # -B: no __pycache__ in the shared model directory.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    labels = [p["label"] for p in answer["answer"]["predictions"]]
    assert labels == ["positive", "negative"]
    assert {"numpy", "scipy", "inference", "serving_model"} <= set(answer["modules"])
    assert not {"sklearn", "joblib", "pandas", "threadpoolctl"} & set(answer["modules"])
    # The drift baseline ships in the model directory for the drift job, not for serving.
    assert (model_dir / "drift_baseline.json").is_file()
    assert "drift_features" not in answer["modules"]


@pytest.mark.training
def test_model_normalises_its_input(model):
    # Markup and entities must not change the prediction: the model applies normalize_text.
    plain = "A wonderful film. I loved it"
    marked = "A <i>wonderful</i> film.<br /><br />I&nbsp;LOVED it"
    np.testing.assert_allclose(model.predict_proba([plain]), model.predict_proba([marked]))


@pytest.mark.training
def test_model_fn_serves_the_threshold_and_card_train_wrote(trained, model):
    meta = json.loads((trained["model_dir"] / "model.json").read_text())
    assert model.uncertainty_threshold == meta["uncertainty_threshold"]
    assert model.card == json.loads((trained["model_dir"] / "model_card.json").read_text())
    reviews = [POSITIVE, NEGATIVE, "the film"]
    for prediction in predict_fn(reviews, model):
        assert prediction["uncertain"] == (prediction["score"] < model.uncertainty_threshold)


@pytest.mark.training
def test_environment_overrides_the_threshold(trained, monkeypatch):
    monkeypatch.setenv("UNCERTAINTY_THRESHOLD", "0.9999")
    strict = model_fn(str(trained["model_dir"]))
    assert (strict.uncertainty_threshold, strict.threshold_source) == (
        0.9999,
        "UNCERTAINTY_THRESHOLD",
    )
    predictions = predict_fn(["the film", "the plot"], strict)
    assert all(p["uncertain"] for p in predictions if p["score"] < 0.9999)
    card = json.loads(
        output_fn(predict_fn(input_fn("{}", inference.MODEL_CARD_CONTENT_TYPE), strict), None)[0]
    )
    assert card["serving"] == {"uncertainty_threshold": 0.9999, "source": "UNCERTAINTY_THRESHOLD"}


@pytest.mark.training
@pytest.mark.parametrize("value", ["0.5", "1.2", "high"])
def test_an_invalid_override_stops_the_model_loading(trained, monkeypatch, value):
    monkeypatch.setenv("UNCERTAINTY_THRESHOLD", value)
    with pytest.raises(ValueError, match="UNCERTAINTY_THRESHOLD"):
        model_fn(str(trained["model_dir"]))
