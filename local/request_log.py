"""The local endpoint's request log: one JSON line per invocation, per variant.

What the cloud keeps as CloudWatch metrics per variant (Invocations, Invocation5XXErrors,
ModelLatency) and as labelled batch-scoring results, the twin writes to one JSON Lines
file that `make ab-report` reads (lambda/ab_report/ab_compare.py)::

    {"timestamp": "2026-01-31T12:00:00.123Z", "endpoint": "local-endpoint",
     "variant": "challenger", "latency_ms": 1.83, "status": 200, "error_code": null,
     "predictions": [{"label": "positive", "score": 0.97, "uncertain": false,
                      "true_label": "positive"}]}

`predictions` holds one entry per review the model answered (a JSON body's reviews, or
the lines of a JSON Lines body; an error line keeps its code as ``{"error": code}``).
``true_label`` appears when the request carried the ground truth: the ``X-True-Label``
header (`ground_truth`), or a labelled JSON Lines body, whose answer lines carry it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from review_labels import SENTIMENT_NAMES, parse_label

TRUE_LABEL_HEADER = "X-True-Label"
_truth: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "true_labels", default=None
)


def parse_true_labels(header: str | None) -> tuple[str, ...] | None:
    """The header's labels (comma-separated, one per review), or None if any is unknown."""
    if not header or not header.strip():
        return None
    labels = []
    for raw in header.split(","):
        label = parse_label(raw)
        if label is None:
            return None
        labels.append(SENTIMENT_NAMES[label])
    return tuple(labels)


@contextlib.contextmanager
def ground_truth(header: str | None) -> Iterator[None]:
    """While the handler runs one request, the truth its header carried (this thread)."""
    token = _truth.set(parse_true_labels(header))
    try:
        yield
    finally:
        _truth.reset(token)


def _answer_predictions(payload: bytes, content_type: str) -> list[dict[str, Any]]:
    """The per-review entries of a 200 answer (JSON or JSON Lines); [] if unreadable."""
    try:
        text = payload.decode("utf-8")
        if content_type.split(";", 1)[0].strip() == "application/jsonlines":
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            items = json.loads(text).get("predictions") or []
    except (ValueError, AttributeError):
        return []
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "error" in item:
            code = item["error"].get("code") if isinstance(item["error"], dict) else None
            entries.append({"error": code})
            continue
        entry = {key: item.get(key) for key in ("label", "score", "uncertain")}
        if item.get("true_label") is not None:
            entry["true_label"] = item["true_label"]
        entries.append(entry)
    return entries


def _with_truth(entries: list[dict[str, Any]], truth: Sequence[str] | None) -> None:
    # A header with one label per review: labels that do not match the count are dropped
    # rather than guessed at.
    if truth is None or len(truth) != len(entries):
        return
    for entry, label in zip(entries, truth, strict=True):
        if "label" in entry:
            entry["true_label"] = label


class RequestLog:
    """Appends one line per invocation to `path` (thread-safe, flushed per line)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def record(
        self,
        *,
        endpoint: str,
        variant: str,
        latency_ms: float,
        status: int,
        error_code: str | None = None,
        payload: bytes = b"",
        content_type: str = "",
    ) -> None:
        predictions = _answer_predictions(payload, content_type) if status == 200 else []
        _with_truth(predictions, _truth.get())
        now = datetime.now(UTC)
        line = {
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "endpoint": endpoint,
            "variant": variant,
            "latency_ms": round(latency_ms, 3),
            "status": status,
            "error_code": error_code,
            "predictions": predictions,
        }
        with self._lock:
            self._file.write(json.dumps(line, separators=(",", ":")) + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
