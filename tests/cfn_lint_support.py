"""cfn-lint over synthesised templates, in worker processes that import nothing of the CDK."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

# cfn-lint takes about a second per template, so each distinct template is linted once per
# run (stages with serving overrides share most of their templates with dev and prod), and
# on every core.
_LINTED: dict[str, list[str]] = {}


def _lint(template_file: str) -> list[str]:
    from cfnlint.api import lint_file

    # Errors, and W3005: a DependsOn that a Ref or GetAtt already implies.
    found = lint_file(Path(template_file))
    return [str(m) for m in found if m.rule.id[0] == "E" or m.rule.id == "W3005"]


def cfn_lint_errors(template_files: list[Path]) -> dict[str, list[str]]:
    """cfn-lint's findings per template file name; an empty list is a clean template."""
    keys = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in template_files}
    todo = sorted({key: str(path) for path, key in keys.items() if key not in _LINTED}.items())
    if todo:
        workers = min(len(todo), os.cpu_count() or 1)
        # spawn, not fork: the test process runs the jsii kernel's threads.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            paths = [path for _, path in todo]
            for (key, _), errors in zip(todo, pool.map(_lint, paths), strict=True):
                _LINTED[key] = errors
    return {path.name: _LINTED[keys[path]] for path in template_files}


def assert_cfn_lint_clean(template_files: list[Path]) -> None:
    assert template_files
    dirty = {name: errors for name, errors in cfn_lint_errors(template_files).items() if errors}
    assert dirty == {}
