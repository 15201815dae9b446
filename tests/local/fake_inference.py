"""A stand-in serving module that answers as the contracts say training/inference.py does.

Copied into a model directory as ``code/inference.py`` (`write_fake_model`), it lets the
local twins' tests run the contract's answers (``uncertain``, ``application/jsonlines``
with error lines and ``true_label``) on a model whose behaviour is known exactly: the
probability of "positive" is a logistic function of (good words - bad words).
Standard library only, as the loader imports it from the model directory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOOD = frozenset({"good", "great", "wonderful", "superb", "loved", "brilliant"})
BAD = frozenset({"bad", "awful", "dull", "boring", "dreadful", "worst"})
LABEL_SPELLINGS = {"positive": "positive", "pos": "positive", "1": "positive"} | {
    "negative": "negative",
    "neg": "negative",
    "0": "negative",
}


class Refusal:
    """A 4xx answer as a WSGI application, as the real module's RejectedRequest."""

    def __init__(self, status: int, code: str) -> None:
        self.status = status
        self.body = json.dumps({"error": {"code": code, "message": f"{code}: refused"}}).encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(f"{self.status} Refused", [("Content-Type", "application/json")])
        return [self.body]


def model_fn(model_dir: str) -> dict[str, Any]:
    metadata: dict[str, Any] = json.loads((Path(model_dir) / "model.json").read_text())
    return metadata


def probability_positive(review: str, length_weight: float = 0.0) -> float:
    """A logistic function of (good - bad words), plus `length_weight` per word: a weight
    spreads the scores of equally balanced reviews (fewer ties, like a real model)."""
    words = review.lower().replace(".", " ").replace(",", " ").split()
    balance = sum(word in GOOD for word in words) - sum(word in BAD for word in words)
    return round(1 / (1 + math.exp(-1.5 * balance - length_weight * len(words))), 6)


def _answer(review: str, model: dict[str, Any]) -> dict[str, Any]:
    threshold = float(model.get("uncertainty_threshold", 0.6))
    p = probability_positive(review, float(model.get("length_weight", 0.0)))
    # An inverted model is wrong wherever the plain one is right: a known bad challenger.
    p = round(1 - p, 6) if model.get("invert") else p
    label = "positive" if p > 0.5 else "negative"
    score = p if label == "positive" else round(1 - p, 6)
    return {
        "label": label,
        "score": score,
        "probability_positive": p,
        "uncertain": score < threshold,
    }


def _line_answer(number: int, raw: str, model: dict[str, Any]) -> dict[str, Any]:
    def error(code: str, document: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = {"line": number}
        if isinstance(document, dict) and "review_id" in document:
            answer["review_id"] = document["review_id"]
        answer["error"] = {"code": code, "message": f"{code}: this line cannot be scored"}
        return answer

    try:
        document = json.loads(raw)
    except ValueError:
        return error("invalid_json")
    if not isinstance(document, dict) or "review" not in document:
        return error("missing_field", document)
    if not isinstance(document["review"], str):
        return error("invalid_type", document)
    if not document["review"].strip():
        return error("empty_review", document)
    scored = _answer(document["review"], model)
    answer = {"review_id": document.get("review_id"), **scored}
    truth = LABEL_SPELLINGS.get(str(document.get("label", "")).strip().lower())
    if truth is not None:
        answer["true_label"] = truth
    return answer


def input_fn(body: str | bytes, content_type: str) -> Any:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if content_type == "application/jsonlines":
        # LF only: a review may hold U+2028, which str.splitlines() would cut.
        return ("lines", text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"))
    if content_type != "application/json":
        return Refusal(415, "unsupported_media_type")
    payload = json.loads(text)
    reviews = payload["reviews"] if "reviews" in payload else [payload["review"]]
    if any(not isinstance(review, str) or not review.strip() for review in reviews):
        return Refusal(400, "empty_review")
    return ("json", reviews)


def predict_fn(data: Any, model: dict[str, Any]) -> Any:
    if isinstance(data, Refusal):
        return data
    kind, items = data
    # A model failure (500), on purpose: any input holding the model's "crash_on" text.
    if "crash_on" in model and any(model["crash_on"] in item for item in items):
        raise RuntimeError("the fake model crashes on this input")
    if kind == "lines":
        return kind, [_line_answer(n, raw, model) for n, raw in enumerate(items, 1)]
    return kind, [_answer(review, model) for review in items]


def output_fn(prediction: Any, accept: str) -> Any:
    if isinstance(prediction, Refusal):
        return prediction
    kind, answers = prediction
    if kind == "lines":
        # No newline after the last answer: AssembleWith=Line adds it (as json_lines.py).
        return "\n".join(json.dumps(a) for a in answers), "application/jsonlines"
    return json.dumps({"predictions": answers}), "application/json"


def write_fake_model(directory: Path, **metadata: Any) -> Path:
    """A model directory serving this module; `metadata` lands in model.json."""
    (directory / "code").mkdir(parents=True, exist_ok=True)
    (directory / "code" / "inference.py").write_text(Path(__file__).read_text())
    (directory / "model.json").write_text(json.dumps({"uncertainty_threshold": 0.6, **metadata}))
    return directory
