"""Cold-start benchmark: how long a fresh Python process takes to import the predict handler.

Each round starts two fresh interpreters side by side, one running `import handler` (the
Lambda bundle's layout: lambda/predict and common/ on the path) and one running
`import json`, the floor of any Python process on this machine. Reported: the median of
the import as the child times it (perf_counter around the import statement alone), the
medians of both processes' wall times, and their ratio, so a run on a busy machine can
still be compared with one on an idle machine. Goal: the fresh process that imports
the handler takes <= 0.3 s (median).

The environment is that of a developer machine (no AWS_LAMBDA_FUNCTION_NAME, no
LAMBDA_TASK_ROOT); `--lambda-env` sets both, as the Lambda runtime does, to show the
cold start with X-Ray tracing and the runtime client built during init.

    python bench/handler_import.py [--runs 9] [--lambda-env] [--handler-dir DIR]

`--handler-dir` times another copy of lambda/predict (say, `git show HEAD:...` files in a
temporary folder) against the same common/, for a before/after on one machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TIMED_IMPORT = (
    "import time; started = time.perf_counter(); import handler; "
    "print(time.perf_counter() - started)"
)
BASELINE = "import json"
GOAL_SECONDS = 0.3


def child_env(handler_dir: Path, *, lambda_env: bool) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT", "PYTHONPATH"}
    }
    env["PYTHONPATH"] = os.pathsep.join([str(handler_dir), str(REPO_ROOT / "common")])
    # A stale or missing bytecode cache would time compilation, not the import.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if lambda_env:
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": "predict-bench",
                "LAMBDA_TASK_ROOT": str(handler_dir),
                "AWS_REGION": env.get("AWS_REGION", "eu-west-1"),
                # Nothing listens for X-Ray here; segments are dropped, as intended.
                "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            }
        )
    return env


def timed_run(code: str, env: dict[str, str]) -> tuple[float, str]:
    """Wall time of one fresh interpreter running `code`, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{code!r} failed:\n{done.stderr}")
    return elapsed, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes of each kind")
    parser.add_argument("--lambda-env", action="store_true", help="as the Lambda runtime")
    parser.add_argument(
        "--handler-dir", type=Path, default=REPO_ROOT / "lambda" / "predict", help="handler code"
    )
    args = parser.parse_args(argv)
    env = child_env(args.handler_dir.resolve(), lambda_env=args.lambda_env)
    # One unmeasured run of each writes the bytecode caches and warms the page cache.
    timed_run(TIMED_IMPORT, env)
    timed_run(BASELINE, env)
    imports, handler_walls, baseline_walls = [], [], []
    for _ in range(args.runs):
        wall, printed = timed_run(TIMED_IMPORT, env)
        handler_walls.append(wall)
        imports.append(float(printed.strip().splitlines()[-1]))
        baseline_walls.append(timed_run(BASELINE, env)[0])
    import_median = statistics.median(imports)
    handler_wall = statistics.median(handler_walls)
    baseline_wall = statistics.median(baseline_walls)
    where = "Lambda-like environment" if args.lambda_env else "developer environment"
    print(f"handler import, {args.runs} fresh processes each, {where}:")
    print(
        f"  import handler (in the child): median {import_median:.3f} s "
        f"(min {min(imports):.3f}, max {max(imports):.3f})"
    )
    print(f"  process wall, import handler:  median {handler_wall:.3f} s")
    print(f"  process wall, import json:     median {baseline_wall:.3f} s")
    print(f"  ratio handler / json process:  {handler_wall / baseline_wall:.1f}x")
    # The goal reads the process wall time, as a cold start pays it (exit costs included).
    verdict = "met" if handler_wall <= GOAL_SECONDS else "missed"
    print(f"  goal: process wall <= {GOAL_SECONDS} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
