"""cdk-nag acknowledgments: each names the rule, the exact resource and a real reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str, *, finding: str | None = None) -> None:
    """Acknowledge `rule` on `scope` (and its children).

    cdk-nag 3 embeds the offending resource in finding ids, e.g.
    `AwsSolutions-IAM5[Resource::<RawBucket.Arn>/*]`; pass that part as `finding` so the
    acknowledgment covers exactly one finding rather than every use of the rule.
    """
    rule_id = f"AwsSolutions::{rule}[{finding}]" if finding else f"AwsSolutions::{rule}"
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_cdk_helpers(
    stack: Stack, *, id_prefix: str, reason: str, rules: dict[str, str | None]
) -> None:
    """Acknowledge findings on singleton helper functions that the CDK itself adds.

    Such helpers (bucket-notification and auto-delete handlers, log-retention setters)
    are created with fixed code and roles we cannot configure; `rules` maps each rule
    to the exact finding (or None for the whole rule on that helper).
    """
    for child in stack.node.children:
        if child.node.id.startswith(id_prefix):
            for rule, finding in rules.items():
                acknowledge(child, rule, reason, finding=finding)


def logical_ref(scope: IConstruct, attribute: str = "Arn") -> str:
    """The `<LogicalId.Attr>` token cdk-nag prints for a resource's attribute."""
    stack = Stack.of(scope)
    return f"<{stack.resolve(stack.get_logical_id(scope.node.default_child))}.{attribute}>"
