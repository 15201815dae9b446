"""A stage's templates as one graph: follow Ref, GetAtt and cross-stack outputs to the
resource they name, and read IAM statements, so tests can ask who may do what to which
encrypted resource across stacks."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Target = tuple[str, str]  # (stack name, logical id)


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class Statement:
    stack: str
    actions: list[str]
    resources: list[Any]
    principals: list[str]
    conditions: dict


class StageGraph:
    def __init__(self, assembly_dir: Path) -> None:
        self.templates = {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in assembly_dir.glob("*.template.json")
        }

    def resources(self, resource_type: str) -> Iterator[tuple[str, str, dict]]:
        for stack, template in self.templates.items():
            for logical_id, resource in template.get("Resources", {}).items():
                if resource["Type"] == resource_type:
                    yield stack, logical_id, resource

    def resource(self, target: Target) -> dict:
        return self.templates[target[0]]["Resources"][target[1]]

    def target(self, value: Any, stack: str) -> Target | None:
        """The resource a CloudFormation value names (its ARN, name or an object under it)."""
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((function, argument),) = value.items()
        if function == "Ref" and not argument.startswith("AWS::"):
            return (stack, argument)
        if function == "Fn::GetAtt":
            return (stack, argument[0])
        if function == "Fn::GetStackOutput":
            producer = argument["StackName"]
            output = self.templates[producer]["Outputs"][argument["OutputName"]]
            return self.target(output["Value"], producer)
        if function == "Fn::Join":
            for part in argument[1]:
                found = self.target(part, stack)
                if found:
                    return found
        return None

    def role_statements(self, role: Target) -> list[Statement]:
        """Every Allow statement of the IAM policies attached to `role`."""
        found = []
        for stack, _, policy in self.resources("AWS::IAM::Policy"):
            roles = [self.target(r, stack) for r in policy["Properties"].get("Roles", [])]
            if role in roles:
                found += self.statements(policy["Properties"]["PolicyDocument"], stack)
        return found

    @staticmethod
    def statements(document: dict, stack: str) -> list[Statement]:
        return [
            Statement(
                stack=stack,
                actions=as_list(s.get("Action")),
                resources=as_list(s.get("Resource")),
                principals=[
                    p if isinstance(p, str) else json.dumps(p)
                    for p in as_list((s.get("Principal") or {}).get("Service"))
                ],
                conditions=s.get("Condition", {}),
            )
            for s in document.get("Statement", [])
            if s.get("Effect") == "Allow"
        ]

    def covers(self, statement: Statement, action: str, target: Target | None) -> bool:
        """`statement` allows `action` on `target` (None: any resource of it)."""
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in statement.actions):
            return False
        if target is None:
            return True
        return any(
            resource == "*" or self.target(resource, statement.stack) == target
            for resource in statement.resources
        )


def service_named(principal: str, service: str) -> bool:
    """`logs.<region>.amazonaws.com` is written as a Join; match on the service part."""
    return principal == f"{service}.amazonaws.com" or f'"{service}.' in principal
