"""GitHub Actions' OIDC provider and the roles its jobs assume with their tokens."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_ISSUER = "token.actions.githubusercontent.com"
# The audience aws-actions/configure-aws-credentials requests by default.
STS_AUDIENCE = "sts.amazonaws.com"
# A CI job needs minutes; a leaked session should not outlive the hour. Role chaining
# (the CDK CLI assuming the bootstrap roles) caps chained sessions at one hour anyway.
MAX_SESSION = Duration.hours(1)


def github_oidc_provider(scope: Construct, construct_id: str) -> iam.OidcProviderNative:
    """The account's identity provider for GitHub's tokens (one per account and URL).

    No thumbprints: IAM verifies GitHub's certificate through its own trusted CAs.
    """
    return iam.OidcProviderNative(
        scope, construct_id, url=f"https://{GITHUB_ISSUER}", client_ids=[STS_AUDIENCE]
    )


def github_actions_role(
    scope: Construct,
    construct_id: str,
    *,
    provider: iam.OidcProviderNative,
    subject: str,
    description: str,
) -> iam.Role:
    """A role only jobs whose token carries exactly `subject` (and our audience) assume.

    StringEquals, not StringLike: the subject is one literal repository and context,
    so no branch, fork or other repository can match it.
    """
    principal = iam.OpenIdConnectPrincipal(
        provider,
        conditions={
            "StringEquals": {
                f"{GITHUB_ISSUER}:aud": STS_AUDIENCE,
                f"{GITHUB_ISSUER}:sub": subject,
            }
        },
    )
    return iam.Role(
        scope,
        construct_id,
        assumed_by=principal,
        description=description,
        max_session_duration=MAX_SESSION,
    )
