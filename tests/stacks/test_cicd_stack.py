"""The cicd stack: GitHub's OIDC provider and two roles that trust one repository only.

A stage synthesised with `cicd.github_repository` set (and a non-default bootstrap
qualifier, so the qualifier is seen to flow through) gets the stack; the trust
conditions, the assumable roles and the absence of anything else are asserted on the
template, and the roles are compared with what the CDK CLI will really ask to assume.
"""

from __future__ import annotations

import copy
import json
import re

import aws_cdk as cdk
import pytest
from cfn_lint_support import assert_cfn_lint_clean
from synth_support import SynthesisedStage, synthesise

import app as cdk_app
from stacks.cicd import CicdStack
from stacks.config import CicdConfig, ConfigError

REPOSITORY = "octo-org/octo-repo"
QUALIFIER = "forkci42"
ISSUER = "token.actions.githubusercontent.com"


def _bootstrap_role(kind: str) -> str:
    return (
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
        f"cdk-{QUALIFIER}-{kind}-role-${{AWS::AccountId}}-${{AWS::Region}}"
    )


@pytest.fixture(scope="module")
def prod_with_ci(tmp_path_factory) -> SynthesisedStage:
    stages = copy.deepcopy(cdk_app.cdk_json_context()["stages"])
    stages["prod"]["cicd"] = {"github_repository": REPOSITORY, "cdk_qualifier": QUALIFIER}
    return synthesise("prod", tmp_path_factory.mktemp("cdk-cicd"), stages=stages)


@pytest.fixture(scope="module")
def template(prod_with_ci) -> dict:
    return prod_with_ci.template("cicd").to_json()


def _role_id(template: dict, prefix: str) -> str:
    (logical_id,) = [
        k
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and k.startswith(prefix)
    ]
    return logical_id


def _permissions(template: dict, role_logical_id: str) -> set[tuple[str, str]]:
    """(action, resource) pairs every policy attached to the role allows."""
    pairs = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if {"Ref": role_logical_id} not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert set(statement) == {"Action", "Effect", "Resource"}  # no NotAction etc.
            actions = statement["Action"]
            resources = statement["Resource"]
            for action in actions if isinstance(actions, list) else [actions]:
                for arn in resources if isinstance(resources, list) else [resources]:
                    pairs.add((action, arn["Fn::Sub"] if isinstance(arn, dict) else arn))
    return pairs


def test_stack_exists_only_when_the_repository_is_set(prod_with_ci, synthesised):
    assert prod_with_ci.app.node.try_find_child("reviews-prod-cicd") is not None
    for stage in synthesised.values():
        assert stage.config.cicd.github_repository is None
        assert stage.app.node.try_find_child(stage.config.stack_id("cicd")) is None


def test_github_provider_trusts_sts_audience(template):
    (provider,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::OIDCProvider"
    ]
    assert provider["Url"] == f"https://{ISSUER}"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize(
    ("role", "subject"),
    [
        ("DiffRole", f"repo:{REPOSITORY}:pull_request"),
        ("DeployRole", f"repo:{REPOSITORY}:environment:prod"),
    ],
)
def test_role_trusts_exactly_one_repository_and_context(template, role, subject):
    properties = template["Resources"][_role_id(template, role)]["Properties"]
    (statement,) = properties["AssumeRolePolicyDocument"]["Statement"]
    (provider_id,) = [
        k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::OIDCProvider"
    ]
    assert statement == {
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": {"Ref": provider_id}},
        # Exact equality: StringEquals only, no StringLike, no other key.
        "Condition": {
            "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com", f"{ISSUER}:sub": subject}
        },
    }
    assert properties["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in properties and "Policies" not in properties


def test_diff_role_may_only_assume_the_lookup_role(template):
    assert _permissions(template, _role_id(template, "DiffRole")) == {
        ("sts:AssumeRole", _bootstrap_role("lookup"))
    }


def test_deploy_role_may_only_assume_deploy_publishing_and_lookup_roles(template):
    assert _permissions(template, _role_id(template, "DeployRole")) == {
        ("sts:AssumeRole", _bootstrap_role("deploy")),
        ("sts:AssumeRole", _bootstrap_role("file-publishing")),
        ("sts:AssumeRole", _bootstrap_role("lookup")),
    }


def test_roles_are_the_ones_the_cdk_cli_asks_for(prod_with_ci, template):
    """The stacks' manifests name the roles `cdk diff` / `cdk deploy` assume: same ARNs."""
    deploy_may = {arn for _, arn in _permissions(template, _role_id(template, "DeployRole"))}
    diff_may = {arn for _, arn in _permissions(template, _role_id(template, "DiffRole"))}
    assembly = prod_with_ci.assembly_dir
    manifest = json.loads((assembly / "manifest.json").read_text())
    asked_for, looked_up_with = set(), set()
    for artifact in manifest["artifacts"].values():
        properties = artifact.get("properties", {})
        if artifact["type"] == "aws:cloudformation:stack":
            asked_for.add(properties["assumeRoleArn"])
            looked_up_with.add(properties["lookupRole"]["arn"])
        elif artifact["type"] == "cdk:asset-manifest":
            assets = json.loads((assembly / properties["file"]).read_text())
            # No Docker image assets, which is why the image-publishing role is left out.
            assert not assets.get("dockerImages"), properties["file"]
            for asset in assets.get("files", {}).values():
                asked_for.update(d["assumeRoleArn"] for d in asset["destinations"].values())
    assert looked_up_with == diff_may == {_bootstrap_role("lookup")}
    assert asked_for | looked_up_with <= deploy_may


def test_stack_holds_the_provider_two_roles_and_their_policies_only(template):
    types = sorted(r["Type"] for r in template["Resources"].values())
    assert types == [
        "AWS::IAM::OIDCProvider",
        "AWS::IAM::Policy",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::IAM::Role",
    ]
    assert "*" not in json.dumps(template["Resources"])


@pytest.mark.parametrize(
    ("output", "role", "variable"),
    [
        ("DiffRoleArn", "DiffRole", "CDK_DIFF_ROLE_ARN"),
        ("DeployRoleArn", "DeployRole", "CDK_DEPLOY_ROLE_ARN"),
    ],
)
def test_role_arns_are_outputs_for_the_workflow_variables(template, output, role, variable):
    assert template["Outputs"][output]["Value"] == {"Fn::GetAtt": [_role_id(template, role), "Arn"]}
    assert variable in template["Outputs"][output]["Description"]


def test_nag_has_nothing_to_report_or_acknowledge_on_the_stack(prod_with_ci):
    report = json.loads((prod_with_ci.assembly_dir / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["violations"] == []
        for acknowledged in plugin["suppressedViolations"]:
            paths = [c["constructPath"] for c in acknowledged["violatingConstructs"]]
            assert not any(p.startswith("reviews-prod-cicd/") for p in paths), paths


def test_template_passes_cfn_lint(prod_with_ci):
    assert_cfn_lint_clean([prod_with_ci.assembly_dir / "reviews-prod-cicd.template.json"])


@pytest.mark.parametrize(
    ("repository", "qualifier", "key"),
    [
        (None, "hnb659fds", "cicd.github_repository"),
        ("octo-org/*", "hnb659fds", "cicd.github_repository"),
        ("octo-*/octo-repo", "hnb659fds", "cicd.github_repository"),
        ("octo-org/octo-rep?", "hnb659fds", "cicd.github_repository"),
        ("octo-repo", "hnb659fds", "cicd.github_repository"),
        ("octo-org/octo-repo/main", "hnb659fds", "cicd.github_repository"),
        ("octo-org/octo-repo", "*", "cicd.cdk_qualifier"),
    ],
)
def test_bad_cicd_config_is_refused_before_the_stack_exists(repository, qualifier, key):
    app = cdk.App()
    config = CicdConfig(github_repository=repository, cdk_qualifier=qualifier)
    with pytest.raises(ConfigError, match=re.escape(key)):
        CicdStack(app, "reviews-dev-cicd", config=config, stage="dev")
    assert app.node.try_find_child("reviews-dev-cicd") is None
