"""Lambda code assets for Python functions with pure-Python dependencies, without Docker.

The function's own modules and the installed files of the named distributions (from the
environment running the synth, where requirements.txt pins them) are copied into one
directory. Only sources and package data are copied, never bytecode, so the asset
hash is the same on every machine with the same pins.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from collections.abc import Iterable
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

BUNDLE_ROOT = Path(__file__).resolve().parents[2] / "build" / "bundles"
# Compiled extensions target this machine's Python; the packages used fall back to pure Python.
_SKIPPED_SUFFIXES = {".pyc", ".pyo", ".so"}
_SKIPPED_PARTS = {"__pycache__", "bin"}


def _distribution_files(name: str) -> list[tuple[Path, Path]]:
    distribution = importlib.metadata.distribution(name)
    pairs = []
    for relative in distribution.files or []:
        path = Path(str(relative))
        if path.suffix in _SKIPPED_SUFFIXES or _SKIPPED_PARTS & set(path.parts):
            continue
        if path.parts[0].endswith(".dist-info") and path.name != "METADATA":
            continue
        if path.parts[0] == "..":
            continue
        source = Path(str(distribution.locate_file(relative)))
        if source.is_file():
            pairs.append((path, source))
    return pairs


def python_code(source_dir: Path, distributions: Iterable[str]) -> lambda_.Code:
    """A `lambda_.Code` asset holding `source_dir`'s .py files and the distributions."""
    files = [(p.relative_to(source_dir), p) for p in sorted(source_dir.glob("*.py"))]
    for name in sorted(distributions):
        files.extend(_distribution_files(name))
    digest = hashlib.sha256()
    for relative, source in sorted(files):
        digest.update(str(relative).encode() + b"\0" + source.read_bytes() + b"\0")
    bundle = BUNDLE_ROOT / f"{source_dir.name}-{digest.hexdigest()[:16]}"
    if not bundle.exists():
        staging = bundle.with_suffix(".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        for relative, source in files:
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        staging.rename(bundle)
    return lambda_.Code.from_asset(str(bundle))
