"""Puts the repository's import roots on sys.path for the local twins run as scripts.

`python local/batch.py` starts with only local/ on the path; the twins import what the
cloud bundles ship flat (common/, the Lambda folders) and the stage configuration
(`stacks.config`, from the repository root), as pytest's `pythonpath` does for tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
IMPORT_ROOTS = tuple(
    REPO_ROOT / folder for folder in ("common", "lambda/drift", "lambda/ab_report", ".")
)

for _root in IMPORT_ROOTS:
    if str(_root) not in sys.path:
        sys.path.append(str(_root))
