"""One state machine's ASL out of a stack that holds several, found by construct path."""

from __future__ import annotations

from aws_cdk.assertions import Template
from synth_support import SynthesisedStage, state_machine_definition

# Construct paths (inside the ML stack) of its machines.
TRAINING_PIPELINE = "Pipeline/StateMachine"
BATCH_SCORING = "BatchScoring/StateMachine"


def machine_logical_id(stage: SynthesisedStage, component: str, path: str) -> str:
    stack = stage.stack(component)
    machine = stack.node.find_child(path.split("/")[0])
    for part in path.split("/")[1:]:
        machine = machine.node.find_child(part)
    return stack.get_logical_id(machine.node.default_child)


def machine_definition(stage: SynthesisedStage, component: str, path: str) -> dict:
    """The ASL of the machine at `path`, tokens replaced by placeholders."""
    logical_id = machine_logical_id(stage, component, path)
    resource = stage.template(component).to_json()["Resources"][logical_id]
    return state_machine_definition(Template.from_json({"Resources": {logical_id: resource}}))


def follow(states: dict, start: str) -> list[str]:
    """The happy path: Next links, each Choice's first rule, until an end."""
    path: list[str] = []
    name: str | None = start
    while name and name not in path:
        path.append(name)
        state = states[name]
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
    return path


def tasks_catching_everything(states: dict) -> dict[str, str]:
    """Task name -> where its States.ALL catch goes (None when it has none)."""
    found = {}
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        catch_all = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
        found[name] = catch_all[0]["Next"] if catch_all else None
    return found
