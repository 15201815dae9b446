"""Lambda code assets for Python functions with pure-Python dependencies, without Docker.

A function's folder holds its modules and a `requirements.txt`. The bundle is those
modules, the shared files it names (from `common/`), and the installed files of every
distribution the requirements pull in (from the environment running the synth, which
installs the same file), minus what the Lambda runtime already provides. Only sources
and package data are copied, never bytecode, so the asset hash is the same on every
machine with the same pins.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from collections.abc import Iterable
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BUNDLE_ROOT = Path(__file__).resolve().parents[3] / "build" / "bundles"
# Every Lambda Python runtime ships boto3 and what it needs; the runtime's copy is used.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"}
)
# Compiled extensions target this machine's Python; the packages used fall back to pure Python.
_SKIPPED_SUFFIXES = {".pyc", ".pyo", ".so"}
_SKIPPED_PARTS = {"__pycache__", "bin"}


def _requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def required_distributions(requirements_file: Path) -> list[str]:
    """The distributions `requirements_file` pulls in, extras and all, runtime's excluded."""
    found: set[str] = set()
    pending = [(req, frozenset(req.extras)) for req in _requirements(requirements_file)]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in RUNTIME_PROVIDED or name in found:
            continue
        found.add(name)
        for line in importlib.metadata.requires(name) or []:
            child = Requirement(line)
            wanted = child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in extras or {""}
            )
            if wanted:
                pending.append((child, frozenset(child.extras)))
    return sorted(found)


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


def python_code(source_dir: Path, *, shared_files: Iterable[Path] = ()) -> lambda_.Code:
    """A `lambda_.Code` asset: `source_dir`'s .py files, `shared_files` beside them, and
    the distributions of `source_dir/requirements.txt`."""
    files = [(p.relative_to(source_dir), p) for p in sorted(source_dir.glob("*.py"))]
    files.extend((Path(p.name), p) for p in shared_files)
    requirements = source_dir / "requirements.txt"
    if requirements.is_file():
        for name in required_distributions(requirements):
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
