"""Local twin of the A/B report: `make ab-report [LOG=build/serve/requests.jsonl]`.

Reads the request log of a local two-variant session (`make serve` with `--variant`
twice and `--request-log`; traffic with the X-True-Label header, e.g.
`local/replay_reviews.py`) and prints the same report the cloud's A/B Lambda computes
from CloudWatch (lambda/ab_report): per variant calls, errors, latency and accuracy, then
each challenger against the champion with a two-proportion z-test and a verdict.

    python local/ab_report.py [LOG] [--champion NAME] [--min-labelled 100] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run as a script, the twin puts its import roots on sys.path before anything else.
import repo_paths

# isort: split

from ab_compare import MIN_LABELLED, summaries_from_request_log
from ab_render import build_report, render_text, report_dict

DEFAULT_LOG = repo_paths.REPO_ROOT / "build" / "serve" / "requests.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("log", nargs="?", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--champion", help="the variant serving now (default: most calls)")
    parser.add_argument("--min-labelled", type=int, default=MIN_LABELLED)
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    args = parser.parse_args(argv)
    if not args.log.is_file():
        print(
            f"error: request log {args.log} does not exist (make serve REQUEST_LOG=...)",
            file=sys.stderr,
        )
        return 2
    with args.log.open("rb") as lines:
        summaries = summaries_from_request_log(lines)
    if len(summaries) < 2:
        print(
            f"error: {args.log} holds {len(summaries)} variant(s); an A/B report needs two",
            file=sys.stderr,
        )
        return 2
    try:
        verdicts = build_report(summaries, args.champion, min_labelled=args.min_labelled)
    except KeyError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report_dict(summaries, verdicts), indent=2))
    else:
        print(f"A/B report over {args.log}")
        print(render_text(summaries, verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
