"""Print what a synthesised cloud assembly holds: stacks, resource counts, nag result.

Usage: python scripts/synth_summary.py cdk.out/dev
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path


def summarise(assembly: Path) -> dict:
    manifest = json.loads((assembly / "manifest.json").read_text())
    stacks = {}
    for name, artifact in sorted(manifest["artifacts"].items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        types = Counter(r["Type"] for r in template.get("Resources", {}).values())
        stacks[name] = {"resources": sum(types.values()), "by_type": dict(types.most_common())}
    nag = {"unacknowledged": 0, "acknowledged": 0}
    report_file = assembly / "validation-report.json"
    if report_file.exists():
        for plugin in json.loads(report_file.read_text()).get("pluginReports", []):
            nag["unacknowledged"] += len(plugin.get("violations", []))
            nag["acknowledged"] += len(plugin.get("suppressedViolations", []))
    return {"stacks": stacks, "nag": nag}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("assembly", type=Path, help="a cdk.out directory")
    args = parser.parse_args()
    summary = summarise(args.assembly)
    print(f"Synthesised {len(summary['stacks'])} stacks in {args.assembly}:")
    for name, stack in summary["stacks"].items():
        top = ", ".join(f"{t.split('::', 1)[1]} {n}" for t, n in list(stack["by_type"].items())[:4])
        print(f"  {name:<32} {stack['resources']:>4} resources  ({top}, ...)")
    nag = summary["nag"]
    print(
        f"cdk-nag AwsSolutions: {nag['unacknowledged']} unacknowledged findings, "
        f"{nag['acknowledged']} acknowledged with reasons"
    )


if __name__ == "__main__":
    main()
