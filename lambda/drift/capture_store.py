"""Where the drift job reads from: capture files and model baselines in S3.

Capture files sit under ``<capture prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/``; the job
lists the variants once, then one hour prefix at a time, so a run reads the period it
covers and never walks the whole retention. A baseline is either the
``drift_baseline.json`` object or the model's ``model.tar.gz``, from which only that
member is read (the archive is streamed, never written to disk).
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from drift_features import BASELINE_FILENAME


def split_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key or prefix) of ``s3://bucket/key``; ValueError otherwise."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise ValueError(f"{uri!r} is not an s3://bucket/... URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


class CaptureStore:
    def __init__(self, s3: Any, capture_uri: str, endpoint_name: str) -> None:
        self.s3 = s3
        self.bucket, prefix = split_s3_uri(capture_uri.rstrip("/"))
        self.prefix = f"{prefix}/{endpoint_name}/" if prefix else f"{endpoint_name}/"

    def variants(self) -> list[str]:
        """The variant folders under the endpoint's prefix."""
        names: list[str] = []
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.append(common["Prefix"][len(self.prefix) :].rstrip("/"))
        return sorted(names)

    def keys(self, variant: str, hours: Sequence[datetime]) -> Iterator[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        for hour in hours:
            prefix = f"{self.prefix}{variant}/{hour:%Y/%m/%d/%H}/"
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["Key"].endswith(".jsonl"):
                        yield item["Key"]

    def files(self, variant: str, hours: Sequence[datetime]) -> Iterator[list[bytes]]:
        """The lines of each capture file of `variant` in `hours`, one file at a time."""
        for key in self.keys(variant, hours):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            yield body.read().split(b"\n")


def _missing(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code in {"NoSuchKey", "404", "NotFound"}


GZIP_MAGIC = b"\x1f\x8b"


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read: they are served again first."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        if not self._head:
            return bytes(self._rest.read(size))
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        if len(data) < size:
            data += self._rest.read(size - len(data))
        return data


def baseline_from_s3(s3: Any, uri: str) -> dict[str, Any] | None:
    """The baseline at `uri` (a JSON object, or read from a model.tar.gz); None if absent."""
    bucket, key = split_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except Exception as err:
        if _missing(err):
            return None
        raise
    # A model archive is gzip whatever its key says (CDK names an uploaded file asset
    # "<hash>.gz"); anything else is the baseline's own JSON.
    head = body.read(2)
    if head != GZIP_MAGIC:
        document: dict[str, Any] = json.loads(head + body.read())
        return document
    # "r|gz" streams the archive: members are read in order, and reading stops at the
    # baseline rather than fetching the whole model.
    with tarfile.open(fileobj=_Prefixed(head, body), mode="r|gz") as archive:
        for member in archive:
            if member.isfile() and member.name.removeprefix("./") == BASELINE_FILENAME:
                extracted = archive.extractfile(member)
                if extracted is not None:
                    found: dict[str, Any] = json.loads(extracted.read())
                    return found
    return None
