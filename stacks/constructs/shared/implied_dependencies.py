"""No DependsOn that a Ref or GetAtt already implies (cfn-lint W3005).

L2 constructs make a resource depend on its role (and the role's policy) so the policy is
attached before the resource runs; the DependsOn on the role itself is redundant where
the resource names the role's ARN, and CloudFormation linting flags it. A validation,
run once dependencies are resolved and before templates are written, drops exactly
those; the dependency on the policy, which nothing references, stays.
"""

from __future__ import annotations

import json

import jsii
from aws_cdk import CfnResource, Stack
from constructs import IValidation


def _references(resolved: object, logical_id: str) -> bool:
    text = json.dumps(resolved)
    return f'{{"Ref": "{logical_id}"}}' in text or f'{{"Fn::GetAtt": ["{logical_id}",' in text


@jsii.implements(IValidation)
class _DropImpliedDependencies:
    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def validate(self) -> list[str]:
        stack = self._stack
        for resource in stack.node.find_all():
            if not isinstance(resource, CfnResource) or Stack.of(resource) is not stack:
                continue
            dependencies = [d for d in resource.obtain_dependencies() if isinstance(d, CfnResource)]
            if not dependencies:
                continue
            properties = stack.resolve(resource._cfn_properties)  # noqa: SLF001 (jsii-exposed)
            for dependency in dependencies:
                if Stack.of(dependency) is stack and _references(
                    properties, stack.resolve(dependency.logical_id)
                ):
                    resource.remove_dependency(dependency)
        return []


def drop_implied_dependencies(stack: Stack) -> None:
    stack.node.add_validation(_DropImpliedDependencies(stack))
