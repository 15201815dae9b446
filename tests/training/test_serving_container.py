"""inference.py behind the serving stack of the SageMaker scikit-learn image, over HTTP.

The image (1.9-0) serves a model through sagemaker-containers 2.8.6.post2: its
``Transformer`` (model_fn, input_fn, predict_fn, output_fn) inside its Flask ``Worker``,
wired as ``sagemaker_sklearn_container.serving`` does. This module runs exactly that in a
fresh process (``python test_serving_container.py``) and sends real HTTP requests through
Flask's test client: good ones answer 200, every bad one a 4xx with a JSON error code.

Test-only shims, as the image applies them: its Dockerfile rewrites ``collections.Mapping``
to ``collections.abc.Mapping`` in ``sagemaker_containers/_mapping.py`` (gone since Python
3.10); and the package's ``record_pb2`` was generated for protobuf 3 (the image pins
3.20.2), which this venv's newer protobuf reads with its pure-Python implementation.
"""

from __future__ import annotations

import base64
import collections
import collections.abc
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

JSON = "application/json"
GOOD = "A wonderful, brilliant film.<br />I loved the superb cast!"
BAD = "Dreadful and boring. The plot was a terrible waste..."


def _request(body: str | bytes, content_type: str | None = JSON, accept: str | None = None):
    raw = body.encode("utf-8") if isinstance(body, str) else body
    headers = {"Content-Type": content_type} if content_type else {}
    if accept:
        headers["Accept"] = accept
    return {"body": base64.b64encode(raw).decode(), "headers": headers}


# name -> (request, status, error code); None: a 200 with predictions.
CASES = {
    "json review": (_request(json.dumps({"review": GOOD})), 200, None),
    "json reviews": (_request(json.dumps({"reviews": [GOOD, BAD]})), 200, None),
    "csv lines": (_request(f"{GOOD}\n{BAD}\n", "text/csv"), 200, None),
    "charset and any accept": (
        _request(json.dumps({"review": GOOD}), f"{JSON}; charset=utf-8", "*/*"),
        200,
        None,
    ),
    # The container reads a missing Content-Type as JSON.
    "no content type": (_request(json.dumps({"review": GOOD}), None), 200, None),
    "empty review": (_request('{"review": ""}'), 400, "empty_review"),
    "markup only": (_request('{"reviews": ["fine", "<br /><br />"]}'), 400, "empty_review"),
    "broken json": (_request('{"review": "unterminated'), 400, "invalid_json"),
    "json not an object": (_request('["great"]'), 400, "invalid_type"),
    "reviews not a list": (_request('{"reviews": "great"}'), 400, "invalid_type"),
    "review not a string": (_request('{"review": 5}'), 400, "invalid_type"),
    "no review field": (_request('{"text": "great"}'), 400, "missing_field"),
    "lone surrogate": (_request('{"review": "fine \\ud83d"}'), 400, "invalid_encoding"),
    "not utf-8": (
        _request(b'{"review": "\xff"}', f"{JSON}; charset=utf-8"),
        400,
        "invalid_encoding",
    ),
    "empty csv": (_request("\n  \n", "text/csv"), 400, "empty_batch"),
    "unsupported content type": (_request("great", "text/plain"), 415, "unsupported_media_type"),
    "unacceptable accept": (
        _request('{"review": "great"}', JSON, "text/csv"),
        406,
        "not_acceptable",
    ),
    "too many reviews": (
        _request(json.dumps({"reviews": ["fine"] * 257})),
        413,
        "batch_too_large",
    ),
    # A Batch Transform mini-batch (SplitType=Line, MultiRecord) of too many lines.
    "mini-batch too large": (_request("fine film\n" * 300, "text/csv"), 413, "batch_too_large"),
}


JSONL = "application/jsonlines"
# A Batch Transform mini-batch (SplitType=Line, MultiRecord) holding good and bad lines:
# one answer line each, in order, and a 200 for the whole.
MINI_BATCH = [
    {"review_id": "r1", "review": GOOD, "label": "positive"},
    "{not json",
    {"review_id": "r3", "text": "no review field"},
    {"review_id": "r4", "review": ""},
    {"review_id": "r5", "review": BAD, "label": "0"},
]
# name -> request; answered with 200 in their own content type.
OTHER_REQUESTS = {
    "json lines": _request(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in MINI_BATCH)
        + "\n",
        JSONL,
        JSONL,
    ),
    # Without Accept the container asks for application/json: JSON Lines still.
    "json lines, no accept": _request(json.dumps({"review": GOOD}), JSONL),
    "model card": _request("{}", "application/vnd.reviews.model-card+json"),
}


def _apply_image_shims() -> None:
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]


def _serve(requests: dict[str, dict], raising: bool) -> dict[str, dict]:
    """Answers of the container's app; ``raising`` swaps in an input_fn that raises."""
    _apply_image_shims()
    from sagemaker_containers.beta.framework import env, transformer, worker

    serving_env = env.ServingEnv()
    sys.path.insert(0, os.path.join(env.model_dir, "code"))
    user_module = importlib.import_module(serving_env.module_name)
    # sagemaker_sklearn_container.serving._user_module_transformer, for a module without
    # transform_fn (the image's serving.py, 1.9-0).
    handlers = {
        name: getattr(user_module, name)
        for name in ("model_fn", "input_fn", "predict_fn", "output_fn")
    }
    if raising:
        handlers["input_fn"] = user_module.parse_reviews
    user_transformer = transformer.Transformer(**handlers)
    user_transformer.initialize()
    app = worker.Worker(
        transform_fn=user_transformer.transform, module_name=serving_env.module_name
    )
    client = app.test_client()
    answers = {"ping": {"status": client.get("/ping").status_code}}
    for name, request in requests.items():
        response = client.post(
            "/invocations", data=base64.b64decode(request["body"]), headers=request["headers"]
        )
        answers[name] = {
            "status": response.status_code,
            "content_type": response.content_type,
            "body": response.get_data(as_text=True),
        }
    return answers


def _run_container(model_dir: Path, requests: dict[str, dict], raising: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        SAGEMAKER_BASE_DIR=str(model_dir.parent),
        SAGEMAKER_PROGRAM="inference.py",
        PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python",
        # As in the image; and the shared model directory stays as train.py wrote it.
        PYTHONDONTWRITEBYTECODE="1",
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", __file__, "raising" if raising else "returning"],
        input=json.dumps(requests),
        env=env,
        cwd=model_dir.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def answers(trained) -> dict[str, dict]:
    requests = {name: request for name, (request, _, _) in CASES.items()}
    return _run_container(trained["model_dir"], requests | OTHER_REQUESTS)


@pytest.mark.training
@pytest.mark.parametrize("name", list(CASES))
def test_container_answers(answers, name):
    _, status, code = CASES[name]
    answer = answers[name]
    assert (answer["status"], answer["content_type"]) == (status, JSON)
    body = json.loads(answer["body"])
    if code is None:
        assert all(p["label"] in ("positive", "negative") for p in body["predictions"])
        return
    assert body["error"]["code"] == code
    # The first line the predict Lambda reads: "<code>: <reason>".
    assert body["error"]["message"].startswith(f"{code}: ")


@pytest.mark.training
def test_container_is_healthy_and_labels_as_the_model(answers):
    assert answers["ping"]["status"] == 200
    labels = [p["label"] for p in json.loads(answers["json reviews"]["body"])["predictions"]]
    assert labels == ["positive", "negative"]


@pytest.mark.training
def test_container_answers_a_json_lines_mini_batch_line_for_line(answers):
    answer = answers["json lines"]
    assert (answer["status"], answer["content_type"]) == (200, JSONL)
    lines = [json.loads(line) for line in answer["body"].split("\n")]
    assert len(lines) == len(MINI_BATCH)
    assert [line.get("label") for line in lines] == ["positive", None, None, None, "negative"]
    assert [line.get("true_label") for line in lines] == ["positive", None, None, None, "negative"]
    assert [line["error"]["code"] for line in lines[1:4]] == [
        "invalid_json",
        "missing_field",
        "empty_review",
    ]
    assert [line.get("line") for line in lines] == [None, 2, 3, 4, None]
    assert [line.get("review_id") for line in lines] == ["r1", None, "r3", "r4", "r5"]
    assert all(isinstance(line.get("uncertain", False), bool) for line in lines)
    single = answers["json lines, no accept"]
    assert (single["status"], single["content_type"]) == (200, JSONL)
    assert json.loads(single["body"])["label"] == "positive"


@pytest.mark.training
def test_container_answers_the_model_card(answers, trained):
    answer = answers["model card"]
    assert (answer["status"], answer["content_type"]) == (200, JSON)
    card = json.loads(answer["body"])
    written = json.loads((trained["model_dir"] / "model_card.json").read_text())
    assert {key: card[key] for key in written} == written
    assert card["serving"]["source"] == "model.json"


@pytest.mark.training
def test_a_raised_input_error_would_be_a_500(trained):
    # Why input_fn returns its refusals: the same request, raised, is a server error page.
    requests = {"empty review": CASES["empty review"][0]}
    answer = _run_container(trained["model_dir"], requests, raising=True)["empty review"]
    assert answer["status"] == 500
    assert answer["content_type"].startswith("text/html")


if __name__ == "__main__":
    answers_out = _serve(json.loads(sys.stdin.read()), raising=sys.argv[1] == "raising")
    print(json.dumps(answers_out))
