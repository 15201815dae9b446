#!/usr/bin/env python3
"""Write the region -> scikit-learn image table the stacks read at synth (`make images`).

The SageMaker SDK knows which account hosts the framework images in each region, but
importing it and resolving 37 regions costs seconds on every synth. The table is
generated once per pinned SDK and framework version into a checked-in JSON file; a test
keeps it equal to what the pinned SDK returns.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from stacks.config import cdk_json_context, stage_config  # noqa: E402

FRAMEWORK = "sklearn"
IMAGE_TABLE = REPO_ROOT / "stacks" / "constructs" / "shared" / "sklearn_images.json"


def image_table(version: str) -> dict[str, dict[str, str]]:
    """Region -> registry account and image URIs, straight from the SDK's configuration."""
    from sagemaker.core import common_utils, image_uris  # large: imported only here

    # The SDK re-reads botocore's endpoint file (60 ms) on each of its 74 calls; the
    # resolver it builds from that file is the same every time.
    if not hasattr(common_utils._botocore_resolver, "cache_info"):
        common_utils._botocore_resolver = functools.cache(common_utils._botocore_resolver)
    config = image_uris.config_for_framework(FRAMEWORK)
    regions = config["inference"]["versions"][version]["registries"]
    return {
        region: {
            "account": account,
            **{
                scope: image_uris.retrieve(
                    FRAMEWORK, region=region, version=version, image_scope=scope
                )
                for scope in ("training", "inference")
            },
        }
        for region, account in sorted(regions.items())
    }


def framework_versions() -> list[str]:
    """Every scikit-learn framework version a stage of cdk.json uses."""
    context = cdk_json_context()
    stages = [name for name in context["stages"] if name != "defaults"]
    return sorted(
        {stage_config(context, name).training.sklearn_framework_version for name in stages}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=IMAGE_TABLE)
    args = parser.parse_args(argv)
    versions = framework_versions()
    table = {version: image_table(version) for version in versions}
    args.output.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(
        f"{args.output.relative_to(REPO_ROOT)}: {', '.join(versions)}, "
        f"{sum(len(t) for t in table.values())} regions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
