"""Synthesis helpers shared by the stack tests (imported by name, unlike conftest)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

import app as cdk_app  # noqa: E402
from stacks.config import StageConfig  # noqa: E402
from stacks.constructs.shared.source_bundle import deterministic_tarball  # noqa: E402

STAGES = ("dev", "prod")
FIXTURE_MODEL = Path(__file__).resolve().parent / "stacks" / "fixture_model" / "README.md"


def fixture_model_artifact(directory: Path) -> Path:
    """A tiny stand-in for model.tar.gz: synth only uploads it, so no model is trained."""
    return deterministic_tarball({"README.md": FIXTURE_MODEL}, directory / "model.tar.gz")


@dataclass
class SynthesisedStage:
    config: StageConfig
    app: cdk.App
    assembly_dir: Path
    _templates: dict[str, Template]

    def stack(self, component: str) -> cdk.Stack:
        return self.app.node.find_child(self.config.stack_id(component))

    def template(self, component: str) -> Template:
        if component not in self._templates:
            self._templates[component] = Template.from_stack(self.stack(component))
        return self._templates[component]

    def template_files(self) -> list[Path]:
        return sorted(self.assembly_dir.glob("*.template.json"))


def synthesise(stage: str, outdir: Path, **extra_context) -> SynthesisedStage:
    extra_context.setdefault("bootstrap_model", str(fixture_model_artifact(outdir.parent)))
    context = {**cdk_app.cdk_json_context(), "stage": stage, **extra_context}
    app = cdk_app.create_app(context=context, outdir=str(outdir))
    app.synth()
    return SynthesisedStage(
        config=cdk_app.read_stage_config(app), app=app, assembly_dir=outdir, _templates={}
    )


def state_machine_definition(template: Template) -> dict:
    """The state machine's ASL with CloudFormation tokens replaced by placeholders."""
    machines = template.find_resources("AWS::StepFunctions::StateMachine")
    assert len(machines) == 1
    (machine,) = machines.values()
    body = machine["Properties"]["DefinitionString"]
    if isinstance(body, dict):
        parts = body["Fn::Join"][1]
        body = "".join(p if isinstance(p, str) else "TOKEN" for p in parts)
    return json.loads(body)
