"""Capture records and baselines for the drift tests, as SageMaker and train.py write them."""

from __future__ import annotations

import base64
import json

from drift_features import build_baseline


def side(mode: str, content_type: str, body: str, encoding: str) -> dict:
    data = base64.b64encode(body.encode()).decode() if encoding == "BASE64" else body
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def record(request: dict, response: dict | None, event_id: str = "e1") -> str:
    capture = {"endpointInput": request}
    if response is not None:
        capture["endpointOutput"] = response
    return json.dumps(
        {
            "captureData": capture,
            "eventMetadata": {"eventId": event_id, "inferenceTime": "2026-01-31T12:00:00Z"},
            "eventVersion": "0",
        }
    )


def scored_record(review: str, probability: float, encoding: str = "JSON") -> str:
    """One API call of one review, answered as the contract says."""
    label = "positive" if probability > 0.5 else "negative"
    score = probability if label == "positive" else 1 - probability
    answer = {
        "predictions": [
            {
                "label": label,
                "score": score,
                "probability_positive": probability,
                "uncertain": score < 0.7,
            }
        ]
    }
    return record(
        side("INPUT", "application/json", json.dumps({"review": review}), encoding),
        side("OUTPUT", "application/json", json.dumps(answer), encoding),
    )


def sample_baseline() -> dict:
    """A baseline as train.py builds it, on 200 synthetic validation reviews."""
    texts = [f"review number {i} " + "word " * (i % 40) for i in range(200)]
    return build_baseline(
        train_texts=texts,
        validation_texts=texts,
        probability_positive=[i / 200 for i in range(200)],
        uncertainty_threshold=0.7,
    )
