"""Deterministic tar.gz bundles of repository files, uploaded as CDK file assets.

SageMaker framework containers expect `sagemaker_submit_directory` to be a tar.gz; a
CDK directory asset is a zip. Building the archive with fixed metadata keeps its hash,
and so the asset and every template that references it, stable between synths.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

BUNDLE_DIR = Path(__file__).resolve().parents[3] / "build" / "bundles"


def deterministic_tarball(files: Mapping[str, Path], destination: Path) -> Path:
    """Write `files` (archive name -> source path) as a reproducible tar.gz."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            data = files[name].read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    destination.parent.mkdir(parents=True, exist_ok=True)
    with (
        destination.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped,
    ):
        zipped.write(buffer.getvalue())
    return destination


class SourceBundle(Construct):
    """A tar.gz of selected files as an S3 asset (`s3_url`, `grant_read`)."""

    def __init__(self, scope: Construct, construct_id: str, *, files: Mapping[str, Path]) -> None:
        super().__init__(scope, construct_id)
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name].read_bytes() + b"\0")
        tarball = deterministic_tarball(files, BUNDLE_DIR / f"{digest.hexdigest()[:16]}.tar.gz")
        self.asset = s3_assets.Asset(self, "Asset", path=str(tarball))
        self.s3_url = self.asset.s3_object_url
