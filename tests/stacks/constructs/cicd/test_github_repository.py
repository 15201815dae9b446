"""Which repository values may be trusted, and the OIDC subjects built from them."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from stacks.config import ConfigError
from stacks.constructs.cicd.github_oidc import github_actions_role, github_oidc_provider
from stacks.constructs.cicd.github_repository import GithubRepository, checked_qualifier


@pytest.mark.parametrize(
    ("value", "pull_request", "environment"),
    [
        ("octo-org/octo-repo", "repo:octo-org/octo-repo:pull_request", None),
        ("a/b", "repo:a/b:pull_request", None),
        ("Octo-Org-1/my.repo_name-2", "repo:Octo-Org-1/my.repo_name-2:pull_request", None),
        # Repositories created since 15 July 2026 sign `sub` with the immutable ids.
        (
            "octo-org@123456/octo-repo@789012",
            "repo:octo-org@123456/octo-repo@789012:pull_request",
            "repo:octo-org@123456/octo-repo@789012:environment:prod",
        ),
    ],
)
def test_valid_repositories_give_literal_subjects(value, pull_request, environment):
    repository = GithubRepository.parse(value)
    assert repository.pull_request_subject == pull_request
    expected = environment or pull_request.replace(":pull_request", ":environment:prod")
    assert repository.environment_subject("prod") == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "is not set"),
        ("*/*", "wildcard"),
        ("octo-org/*", "wildcard"),
        ("octo*/octo-repo", "wildcard"),
        ("octo-org/octo-rep?", "wildcard"),
        ("", "owner/repo"),
        ("octo-repo", "owner/repo"),
        ("/octo-repo", "owner/repo"),
        ("octo-org/", "owner/repo"),
        ("octo-org/octo-repo/extra", "owner/repo"),
        ("https://github.com/octo-org/octo-repo", "owner/repo"),
        (" octo-org/octo-repo", "owner/repo"),
        ("octo-org/octo-repo:ref:refs/heads/main", "owner/repo"),
        ("-octo/octo-repo", "owner/repo"),
        ("octo--org/octo-repo", "owner/repo"),
        ("o" * 40 + "/octo-repo", "owner/repo"),
        ("octo-org/..", "owner/repo"),
        ("octo-org@/octo-repo", "owner/repo"),
        ("octo-org@12a/octo-repo", "owner/repo"),
    ],
)
def test_anything_else_is_refused_naming_the_key(value, why):
    with pytest.raises(ConfigError, match=r"^cicd\.github_repository") as refused:
        GithubRepository.parse(value)
    assert why in str(refused.value)


@pytest.mark.parametrize("qualifier", ["hnb659fds", "a", "A_b-9", "x" * 10])
def test_bootstrap_qualifiers_cdk_accepts_pass(qualifier):
    assert checked_qualifier(qualifier) == qualifier


@pytest.mark.parametrize("qualifier", ["", "*", "hnb*", "x" * 11, "has space", "a/b"])
def test_other_qualifiers_are_refused_naming_the_key(qualifier):
    with pytest.raises(ConfigError, match=r"^cicd\.cdk_qualifier"):
        checked_qualifier(qualifier)


def test_role_trust_in_a_bare_stack_uses_the_immutable_subject_verbatim(stack):
    provider = github_oidc_provider(stack, "Provider")
    subject = GithubRepository.parse("octo-org@1/octo-repo@2").environment_subject("dev")
    github_actions_role(stack, "Role", provider=provider, subject=subject, description="test")
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                "token.actions.githubusercontent.com:sub": (
                                    "repo:octo-org@1/octo-repo@2:environment:dev"
                                ),
                            }
                        },
                        "Effect": "Allow",
                        "Principal": {
                            "Federated": {"Ref": stack.get_logical_id(provider.node.default_child)}
                        },
                    }
                ]
            },
            "MaxSessionDuration": 3600,
        },
    )
