"""SageMaker data capture, locally: the same JSON Lines records in the same folder layout.

An endpoint with data capture writes one JSON object per invocation to
``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl``::

    {"captureData": {
        "endpointInput":  {"observedContentType": "application/json", "mode": "INPUT",
                           "data": "{\\"review\\": \\"...\\"}", "encoding": "JSON"},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                           "data": "eyJwcmVkaWN0aW9ucyI6...", "encoding": "BASE64"}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-01-31T12:00:00Z"},
     "eventVersion": "0"}

``data`` is the body as text when its content type is listed in the capture config's
CaptureContentTypeHeader (JSON or CSV), and base64 otherwise (AWS-FACTS.md). The local
writer's ``encoding`` switch picks between the two shapes the drift job must read:
"json" treats the JSON types (and text/csv as CSV) as listed, "base64" lists none.
The drift job (lambda/drift) reads these files, locally and from S3.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

CaptureEncoding = Literal["json", "base64"]
# What the serving stack lists in CaptureContentTypeHeader; the rest is base64.
JSON_CONTENT_TYPES = ("application/json", "application/jsonlines")
CSV_CONTENT_TYPES = ("text/csv",)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def encode_payload(body: bytes, content_type: str, encoding: CaptureEncoding) -> dict[str, str]:
    """`data` and `encoding` of one side of a capture record."""
    media = _media_type(content_type)
    if encoding == "json" and media in JSON_CONTENT_TYPES + CSV_CONTENT_TYPES:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # SageMaker captures bytes it cannot show as text in base64 all the same.
            pass
        else:
            return {"data": text, "encoding": "JSON" if media in JSON_CONTENT_TYPES else "CSV"}
    return {"data": base64.b64encode(body).decode("ascii"), "encoding": "BASE64"}


def capture_record(
    *,
    request: bytes,
    request_type: str,
    response: bytes,
    response_type: str,
    event_id: str,
    when: datetime,
    encoding: CaptureEncoding,
) -> dict[str, object]:
    return {
        "captureData": {
            "endpointInput": {
                "observedContentType": request_type,
                "mode": "INPUT",
                **encode_payload(request, request_type, encoding),
            },
            "endpointOutput": {
                "observedContentType": response_type,
                "mode": "OUTPUT",
                **encode_payload(response, response_type, encoding),
            },
        },
        "eventMetadata": {
            "eventId": event_id,
            "inferenceTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "eventVersion": "0",
    }


class CaptureWriter:
    """Appends capture records under `destination`, one file per variant and hour."""

    def __init__(
        self, destination: Path | str, endpoint_name: str, encoding: CaptureEncoding = "json"
    ) -> None:
        if encoding not in ("json", "base64"):
            raise ValueError(f"capture encoding must be json or base64, not {encoding!r}")
        self.destination = Path(destination)
        self.endpoint_name = endpoint_name
        self.encoding: CaptureEncoding = encoding
        self._files: dict[tuple[str, str], IO[str]] = {}
        self._lock = threading.Lock()

    def _file(self, variant: str, when: datetime) -> IO[str]:
        hour = when.strftime("%Y/%m/%d/%H")
        handle = self._files.get((variant, hour))
        if handle is None:
            for key in [key for key in self._files if key[0] == variant]:
                self._files.pop(key).close()
            folder = self.destination / self.endpoint_name / variant / hour
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
            handle = (folder / name).open("a", encoding="utf-8")
            self._files[(variant, hour)] = handle
        return handle

    def write(
        self,
        *,
        variant: str,
        request: bytes,
        request_type: str,
        response: bytes,
        response_type: str,
        event_id: str | None = None,
        when: datetime | None = None,
    ) -> None:
        when = (when or datetime.now(UTC)).astimezone(UTC)
        record = capture_record(
            request=request,
            request_type=request_type,
            response=response,
            response_type=response_type,
            event_id=event_id or str(uuid.uuid4()),
            when=when,
            encoding=self.encoding,
        )
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            handle = self._file(variant, when)
            handle.write(line)
            # A reader (make drift) may look while the server still runs.
            handle.flush()

    def close(self) -> None:
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
