"""The CI/CD workflow's safety rules, read from the files themselves, and actionlint on them.

Permissions are derived from what each job really uses (expanding the repository's own
composite actions), so a job that gains a permission it does not use fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.y*ml"))
CI = GITHUB / "workflows" / "ci.yml"

# `owner/repo[/path]@<full commit SHA>  # vX.Y.Z`
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*\S))?\s*$")
VERSION = re.compile(r"v\d+\.\d+\.\d+")
CHECKOUT = "actions/checkout"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
COMMENTING = "actions/github-script"
STAGES = ("dev", "prod")


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    return triggers if isinstance(triggers, dict) else {name: None for name in triggers}


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return _load(CI)


@pytest.fixture(scope="module")
def jobs(ci) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = ci["jobs"]
    return jobs


def _steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps with the repository's own composite actions expanded in place."""
    expanded = []
    for step in steps:
        expanded.append(step)
        uses = step.get("uses", "")
        if uses.startswith("./"):
            local = _load(ROOT / uses / "action.yml")
            assert local["runs"]["using"] == "composite", uses
            expanded.extend(_steps(local["runs"]["steps"]))
    return expanded


def _uses(job: dict[str, Any]) -> set[str]:
    """`owner/repo` of every action a job runs, its composite actions' included."""
    return {
        match["action"]
        for step in _steps(job["steps"])
        if (match := PINNED.fullmatch(step.get("uses", "")))
    }


def _commands(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in _steps(job["steps"]))


def _all_uses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [ref for value in node.values() for ref in _all_uses(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _all_uses(item)]
    return []


def _expression(condition: str) -> str:
    return " ".join(condition.split())


def test_the_files_exist_and_parse():
    assert CI in WORKFLOWS
    assert {p.parent.name for p in ACTIONS} == {"toolchain", "aws-cdk-session"}
    for path in WORKFLOWS + ACTIONS:
        assert isinstance(_load(path), dict), path


def test_every_action_is_pinned_to_a_commit_with_its_version():
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS + ACTIONS:
        lines = [m for line in path.read_text().splitlines() if (m := USES_LINE.match(line))]
        # Every `uses:` the parser sees is one the line scan checked.
        assert sorted(_all_uses(_load(path))) == sorted(m["ref"] for m in lines), path
        for match in lines:
            ref = match["ref"]
            if ref.startswith("./"):
                assert (ROOT / ref / "action.yml").is_file(), ref
                continue
            pinned = PINNED.fullmatch(ref)
            assert pinned, f"{path.name}: {ref} is not pinned to a full commit SHA"
            comment = match["comment"] or ""
            assert VERSION.fullmatch(comment), f"{path.name}: {ref} lacks a '# vX.Y.Z' comment"
            pins.setdefault(pinned["action"], set()).add((pinned["sha"], comment))
    # One action, one pin: a second SHA for the same action would be a forgotten bump.
    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)
    assert {CHECKOUT, AWS_CREDENTIALS, COMMENTING} <= set(pins)


def test_no_workflow_runs_on_untrusted_triggers():
    for path in WORKFLOWS:
        triggers = _triggers(_load(path))
        # Both run with the base repository's secrets on code an outsider controls.
        assert "pull_request_target" not in triggers, path
        assert "workflow_run" not in triggers, path
    assert set(_triggers(_load(CI))) == {"pull_request", "push"}


def test_workflow_grants_nothing_by_default(ci):
    for path in WORKFLOWS:
        assert _load(path)["permissions"] in ({}, {"contents": "read"}), path
    assert ci["permissions"] == {}


def test_each_job_holds_exactly_the_permissions_its_actions_use(jobs):
    for name, job in jobs.items():
        uses = _uses(job)
        expected = {}
        if CHECKOUT in uses:
            expected["contents"] = "read"
        if AWS_CREDENTIALS in uses:
            expected["id-token"] = "write"
        if COMMENTING in uses:
            expected["pull-requests"] = "write"
        assert job["permissions"] == expected, name
    with_tokens = {name for name, job in jobs.items() if "id-token" in job["permissions"]}
    assert with_tokens == {"diff", "deploy-dev", "deploy-prod"}
    writers = {name for name, job in jobs.items() if "pull-requests" in job["permissions"]}
    assert writers == {"diff-comment"}


def test_test_job_runs_the_readme_command_on_python_311_node_22_with_caches(jobs):
    test = jobs["test"]
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in _commands(test).splitlines()
    setup = {
        step["uses"].split("@")[0]: step.get("with", {})
        for step in _steps(test["steps"])
        if "uses" in step
    }
    assert setup["actions/setup-python"]["python-version"] == "3.11"
    assert setup["actions/setup-python"]["cache"] == "pip"
    assert setup["actions/setup-node"]["node-version"] == "22"
    assert setup["actions/setup-node"]["cache"] == "npm"
    # Spark 3.5 needs Java 17; the step selects it before `make system-deps` looks.
    assert "JAVA_HOME_17_X64" in _commands(test)


def test_diff_runs_only_for_pull_requests_from_this_repository(jobs):
    diff = jobs["diff"]
    condition = _expression(diff["if"])
    assert "github.event_name == 'pull_request'" in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert " || " not in condition  # nothing may widen the fork condition
    # An environment would change the token's subject away from `...:pull_request`.
    assert "environment" not in diff
    assert "cdk diff --all -c stage=prod --method=template" in _commands(diff)
    assert jobs["diff-comment"]["needs"] == "diff"


@pytest.mark.parametrize("stage", STAGES)
def test_deploys_run_on_main_behind_the_stage_environment(jobs, stage):
    job = jobs[f"deploy-{stage}"]
    condition = _expression(job["if"])
    assert "github.event_name == 'push'" in condition
    assert "github.ref == 'refs/heads/main'" in condition
    assert " || " not in condition
    # The deploy role of the stage trusts `repo:<owner>/<repo>:environment:<stage>`.
    assert job["environment"] == stage
    assert f"cdk deploy --all -c stage={stage} --require-approval never" in _commands(job)


def test_prod_deploys_only_after_dev_and_test_gate_dev(jobs):
    assert jobs["deploy-dev"]["needs"] == "test"
    assert jobs["deploy-prod"]["needs"] == "deploy-dev"
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    assert set(cdk_json["context"]["stages"]) - {"defaults"} == set(STAGES)


def test_two_deploys_of_one_stage_never_overlap(jobs):
    groups = set()
    for stage in STAGES:
        concurrency = jobs[f"deploy-{stage}"]["concurrency"]
        assert concurrency["cancel-in-progress"] is False
        group = concurrency["group"]
        # A constant per stage: every run of the workflow queues behind the same group.
        assert stage in group and "${{" not in group
        groups.add(group)
    assert len(groups) == len(STAGES)


def test_every_cdk_command_runs_after_the_install_it_needs(jobs):
    """`npx --no-install cdk` needs node_modules, and the app it runs needs `.venv`."""
    cdk_jobs = 0
    for name, job in jobs.items():
        runs = [step.get("run", "") for step in _steps(job["steps"])]
        cdk_steps = [i for i, run in enumerate(runs) if "npx --no-install cdk" in run]
        if not cdk_steps:
            continue
        cdk_jobs += 1
        installs = [i for i, run in enumerate(runs) if re.search(r"\bmake (install|test)\b", run)]
        assert installs and installs[0] < cdk_steps[0], name
    assert cdk_jobs == 3  # diff, deploy-dev, deploy-prod


def test_roles_and_region_come_from_variables(jobs):
    sessions = [
        (name, step["with"])
        for name, job in jobs.items()
        for step in job["steps"]
        if step.get("uses") == "./.github/actions/aws-cdk-session"
    ]
    assert {name for name, _ in sessions} == {"diff", "deploy-dev", "deploy-prod"}
    for name, inputs in sessions:
        assert re.fullmatch(
            r"\$\{\{ vars\.CDK_(DIFF|DEPLOY)_ROLE_ARN \}\}", inputs["role-to-assume"]
        )
        assert inputs["aws-region"] == "${{ vars.AWS_REGION }}", name
    for path in WORKFLOWS + ACTIONS:
        assert not re.search(r"arn:aws|\b\d{12}\b", path.read_text()), path


def _venv_path() -> dict[str, str]:
    """PATH with this interpreter's bin first: actionlint runs shellcheck from there."""
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")])}


def test_actionlint_finds_nothing_with_shellcheck_on():
    env = _venv_path()
    binary = shutil.which("actionlint", path=env["PATH"])
    assert binary, "actionlint is missing: requirements-dev.txt pins it"
    assert shutil.which("shellcheck", path=env["PATH"]), "requirements-dev.txt pins shellcheck"
    result = subprocess.run(
        [binary, "-no-color", "-verbose", *map(str, WORKFLOWS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Without shellcheck actionlint silently skips every `run:` script.
    assert 'Rule "shellcheck" was disabled' not in result.stderr


def test_composite_actions_scripts_pass_shellcheck(tmp_path):
    """actionlint lints workflows only; the composite actions' `run:` scripts get the same
    shellcheck here (expressions stand in as a plain word, as actionlint does)."""
    env = _venv_path()
    shellcheck = shutil.which("shellcheck", path=env["PATH"])
    assert shellcheck, "requirements-dev.txt pins shellcheck"
    scripts = []
    for action in ACTIONS:
        for index, step in enumerate(_load(action)["runs"]["steps"]):
            if "run" not in step:
                continue
            assert step.get("shell") == "bash", f"{action}: step {index} must say shell: bash"
            body = re.sub(r"\$\{\{[^}]*\}\}", "EXPRESSION", step["run"])
            script = tmp_path / f"{action.parent.name}-{index}.sh"
            script.write_text("#!/bin/bash\nset -e\n" + body)
            scripts.append(str(script))
    assert len(scripts) == 3
    result = subprocess.run(
        [shellcheck, "--severity=style", *scripts],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
