"""What a module imports, read from its source (for the "standard library only" rule)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import ModuleType


def non_standard_imports(module: ModuleType) -> set[str]:
    """Top-level package names ``module`` imports that are not in the standard library."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__"}
