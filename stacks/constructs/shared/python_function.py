"""The project's one way to build a Python Lambda: its own role and its own log group.

Every function gets a role of its own (never the basic execution policy, which may write
to any log group), permission to write to exactly the log group the caller built, the
project's runtime and architecture, JSON logs, and its code from `python_code`. The
role and the function are `Role` and `Function` children of `scope`, the ids the three
functions have always had, so their logical ids stay put.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.shared.python_bundle import python_code

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.X86_64


def python_function(
    scope: Construct,
    *,
    role_description: str,
    description: str,
    source_dir: Path,
    handler: str,
    log_group: logs.ILogGroup,
    shared_files: Iterable[Path] = (),
    **options: Any,
) -> tuple[iam.Role, lambda_.Function]:
    """(role, function); `options` are the remaining `lambda_.Function` properties."""
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description,
    )
    log_group.grant_write(role)
    function = lambda_.Function(
        scope,
        "Function",
        description=description,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        handler=handler,
        role=role,
        code=python_code(source_dir, shared_files=shared_files),
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        **options,
    )
    return role, function
