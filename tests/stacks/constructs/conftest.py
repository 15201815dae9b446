"""Reusable constructs are tested in a bare stack of their own, away from the platform."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from stacks.constructs.shared.retention import Retention


@pytest.fixture
def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Bare")


@pytest.fixture
def disposable() -> Retention:
    return Retention(retain_data=False, log_retention_days=7)


@pytest.fixture
def retained() -> Retention:
    return Retention(retain_data=True, log_retention_days=365)
