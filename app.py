#!/usr/bin/env python3
"""CDK entry point: the only place that reads `cdk.json` context.

Select a stage with `-c stage=prod`; each stage is `defaults` merged with its own
overrides from `cdk.json`, turned into a frozen `StageConfig` and passed down.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# jsii prints an end-of-life banner on Node 20 at import time; it is noise here.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from stacks.config import StageConfig, cdk_json_context, stage_config  # noqa: E402
from stacks.constructs.shared.stable_outputs import scrub_kernel_paths  # noqa: E402
from stacks.platform import build_platform  # noqa: E402

# The context keys a stage's configuration is built from (`-c key=value` overrides them).
CONTEXT_KEYS = ("project", "stage", "stages", "model_package_arn")


def read_stage_config(app: cdk.App) -> StageConfig:
    """Turn the app's context into the selected stage's configuration."""
    return stage_config({key: app.node.try_get_context(key) for key in CONTEXT_KEYS})


def create_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    """Build the app with every stack of one stage and cdk-nag attached."""
    # No construction stack traces in the assembly's metadata: they hold temporary paths
    # and would make two synths of one stage differ.
    app = cdk.App(context=context, outdir=outdir, stack_traces=False)
    config = read_stage_config(app)
    # Stacks name the bootstrap roles they deploy through by this qualifier, and the cicd
    # stack lets CI assume exactly those roles: one setting for both.
    app.node.set_context("@aws-cdk/core:bootstrapQualifier", config.cicd.cdk_qualifier)
    # cdk-nag 3 is a validation plugin: unacknowledged findings make synth raise.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    # What the endpoint serves before a registry package is approved: a model trained
    # locally (`make model`; `-c bootstrap_model=build/model/model.tar.gz`). Without it or
    # a package, the stage deploys with no endpoint yet. Synth never trains anything.
    bootstrap_model = app.node.try_get_context("bootstrap_model")
    build_platform(app, config, bootstrap_model=Path(bootstrap_model) if bootstrap_model else None)
    return app


if __name__ == "__main__":
    # The CDK CLI passes cdk.json context itself (and sets CDK_OUTDIR); a plain
    # `python app.py` reads it here so both synthesise the same app.
    assembly = create_app(
        context=None if "CDK_OUTDIR" in os.environ else cdk_json_context()
    ).synth()
    scrub_kernel_paths(Path(assembly.directory))
