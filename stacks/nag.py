"""cdk-nag acknowledgments: each names the rule, the exact finding and a real reason."""

from __future__ import annotations

import json
import re
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

IAM5 = "AwsSolutions-IAM5"

# Wildcard findings the CDK's own grants produce, written once for every role that has
# them. Each maps a regular expression over IAM5 finding ids to the reason it is narrow.
BUCKET_GRANT_ACTIONS = {
    r"^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$": (
        "CDK's bucket grants use this action family; resources stay one bucket or prefix."
    ),
}
KEY_GRANT_ACTIONS = {
    r"^Action::kms:(GenerateDataKey|ReEncrypt)\*$": (
        "CDK's key grants use this action family, on one key the statement names."
    ),
}
CDK_GRANT_ACTIONS = {**BUCKET_GRANT_ACTIONS, **KEY_GRANT_ACTIONS}
ECR_AUTHORIZATION_TOKEN = {
    r"^Resource::\*$": (
        "ecr:GetAuthorizationToken supports no resource-level permissions; pulling itself "
        "is limited to the scikit-learn framework repository."
    ),
}


def under_prefixes(prefixes: tuple[str, ...], reason: str) -> dict[str, str]:
    """Objects under one of `prefixes` (a folder of a bucket), whose keys are not known."""
    return {rf"/({'|'.join(prefixes)})/\*$": reason}


# Path segments that name no resource: the CDK's default children.
_PLUMBING = {"Resource", "DefaultPolicy", "Default"}


def subject(scope: IConstruct) -> str:
    """The resource an acknowledgment is about, as its path inside its stack reads."""
    parts = scope.node.path.split("/")[1:]
    return "/".join(part for part in parts if part not in _PLUMBING) or scope.node.path


def acknowledge(scope: IConstruct, rule: str, reason: str, *, finding: str | None = None) -> None:
    """Acknowledge `rule` (one `finding` of it, when given) on `scope` and its children.

    cdk-nag 3 embeds the offending resource in finding ids, e.g.
    `AwsSolutions-IAM5[Resource::<RawBucket.Arn>/*]`; an acknowledgment covers exactly
    one finding, never every use of the rule. The reason names the resource it is about
    (its path in the stack) before saying why, so a report read alone is clear.
    """
    rule_id = f"{rule}[{finding}]" if finding else rule
    Validations.of(scope).acknowledge(
        Acknowledgment(id=f"AwsSolutions::{rule_id}", reason=f"{subject(scope)}: {reason}")
    )


def acknowledge_cdk_helpers(
    stack: Stack,
    *,
    id_prefix: str,
    reason: str,
    rules: dict[str, str | None],
    wildcards: dict[str, str] | None = None,
) -> None:
    """Acknowledge findings on singleton helper functions that the CDK itself adds.

    Such helpers (bucket-notification handlers, bucket deployments) come with fixed code
    and roles we cannot configure; `rules` maps each rule to the exact finding (or None
    for the whole rule on that helper), `wildcards` explains its role's IAM5 findings.
    """
    for child in stack.node.children:
        if child.node.id.startswith(id_prefix):
            for rule, finding in rules.items():
                acknowledge(child, rule, reason, finding=finding)
            role = child.node.try_find_child("ServiceRole")
            if wildcards and isinstance(role, iam.Role):
                acknowledge_policy_wildcards(role, wildcards)


def acknowledge_policy_wildcards(role: iam.IRole, reasons: dict[str, str]) -> None:
    """Acknowledge the IAM5 wildcard findings of `role`'s policy that match `reasons`.

    `reasons` maps a regular expression over finding ids (`Action::s3:GetObject*`,
    `Resource::<Bucket.Arn>/prefix/*`) to the reason. Findings are computed once
    cross-stack references are resolved (they then read `{"Fn::GetStackOutput": ...}`),
    which is why this runs as a construct validation. A wildcard no pattern explains
    stays unacknowledged and fails the synth, as it should.
    """
    policy = role.node.try_find_child("DefaultPolicy")
    cfn_policy = policy.node.default_child if policy is not None else None
    if isinstance(cfn_policy, iam.CfnPolicy):
        cfn_policy.node.add_validation(_WildcardAcknowledger(cfn_policy, reasons))


@jsii.implements(IValidation)
class _WildcardAcknowledger:
    def __init__(self, cfn_policy: iam.CfnPolicy, reasons: dict[str, str]) -> None:
        self._policy = cfn_policy
        self._reasons = [(re.compile(pattern), reason) for pattern, reason in reasons.items()]

    def validate(self) -> list[str]:
        document = Stack.of(self._policy).resolve(self._policy.policy_document)
        for finding in sorted(wildcard_findings(document)):
            for pattern, reason in self._reasons:
                if pattern.search(finding):
                    acknowledge(self._policy, IAM5, reason, finding=finding)
                    break
        return []


def wildcard_findings(document: dict[str, Any]) -> set[str]:
    """The IAM5 finding ids cdk-nag reports for a resolved policy document."""
    findings = set()
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            if "*" in action:
                findings.add(f"Action::{action}")
        for resource in _as_list(statement.get("Resource")):
            rendered = _render(resource)
            if "*" in rendered:
                findings.add(f"Resource::{rendered}")
    return findings


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _render(value: Any) -> str:
    """Flatten a CloudFormation value the way cdk-nag prints it in finding ids."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            delimiter, parts = argument
            return delimiter.join(_render(part) for part in parts)
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", argument)
    return json.dumps(value, separators=(",", ":"))
