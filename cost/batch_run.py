"""What one batch scoring run costs: Batch Transform instance-hours for a million reviews.

Read from the templates, like the rest of `make cost`: the instance type and count of
every state machine state that runs `createTransformJob.sync`. Batch Transform has no
spot capacity, so the on-demand hourly price applies.
"""

from __future__ import annotations

import json
from typing import Any

TRANSFORM_RESOURCE = ":states:::sagemaker:createTransformJob.sync"
MILLION = 1_000_000


def _definition(machine: dict) -> dict[str, Any]:
    """The ASL of a state machine resource, references replaced by placeholders."""
    body = machine["Properties"]["DefinitionString"]
    if isinstance(body, dict):
        body = "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
    definition: dict[str, Any] = json.loads(body)
    return definition


def transform_resources(resources: list[dict]) -> list[dict]:
    """TransformResources of every Transform state in the stage's state machines."""
    found = []
    for machine in resources:
        if machine["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        for state in _definition(machine)["States"].values():
            if str(state.get("Resource", "")).endswith(TRANSFORM_RESOURCE):
                found.append(state["Parameters"]["TransformResources"])
    return found


def batch_run_lines(
    resources: list[dict], prices: dict[str, Any], assume: dict[str, Any]
) -> list[tuple[str, float]]:
    """Scoring a million reviews, and each run's fixed start-up, per Transform state."""
    lines = []
    rate = assume["batch_reviews_per_second_per_instance"]
    for job in transform_resources(resources):
        instance, count = job["InstanceType"], job["InstanceCount"]
        hourly = prices["sagemaker_batch_transform_instance_hour"]["price"][instance]
        # Instances share the input, so the instance-hours do not depend on the count.
        hours = MILLION / rate / 3600
        startup = count * assume["batch_job_startup_minutes"] / 60
        lines += [
            (f"Transform {count} x {instance}: 1 M reviews at {rate}/s each", hours * hourly),
            (
                f"Transform start-up: {count} x {assume['batch_job_startup_minutes']} min a run",
                startup * hourly,
            ),
        ]
    return lines
