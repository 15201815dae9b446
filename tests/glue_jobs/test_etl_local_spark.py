"""What the job ships to Glue (and the local twin to its workers): every module it imports."""

from __future__ import annotations

import ast
from pathlib import Path

from etl_local_spark import COMMON, ENTRY_SCRIPT, GLUE_JOBS, shipped_modules


def _imports(path: Path) -> dict[str, list[str]]:
    """Imported top-level name -> the functions importing it ("" for module level)."""
    found: dict[str, list[str]] = {}

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef) else function
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.setdefault(alias.name.split(".")[0], []).append(function)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.setdefault(child.module.split(".")[0], []).append(function)
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_every_repository_module_the_job_imports_is_shipped():
    shipped = {path.name for path in shipped_modules()}
    assert all(path.is_file() for path in shipped_modules())
    assert ENTRY_SCRIPT not in shipped
    assert {p.name for p in GLUE_JOBS.glob("*.py")} - shipped == {ENTRY_SCRIPT}
    ours = {p.stem for folder in (GLUE_JOBS, COMMON) for p in folder.glob("*.py")}
    imported = {name for p in GLUE_JOBS.glob("*.py") for name in _imports(p)}
    assert imported & ours, "the scan finds the job's own imports"
    assert {f"{name}.py" for name in imported & ours} <= shipped


def test_only_the_glue_main_imports_awsglue():
    users = {p.name: _imports(p).get("awsglue") for p in GLUE_JOBS.glob("*.py")}
    assert {name: functions for name, functions in users.items() if functions} == {
        ENTRY_SCRIPT: ["main", "main", "main"]
    }
