"""The roles `cdk bootstrap` created in this account and region, which CI hops through.

Their ARNs come from the CDK's own synthesizer constants, the very templates each stack
artifact hands the CLI, so CI may assume exactly the roles the CLI will ask for: one
account, one region, one qualifier, no wildcard.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import DefaultStackSynthesizer, Fn
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.constructs.cicd.github_repository import checked_qualifier


@dataclass(frozen=True)
class CdkBootstrapRoles:
    # `cdk deploy`: creates and executes change sets (CloudFormation then acts as the
    # bootstrap's execution role).
    deploy: iam.IRole
    # Uploads file assets (Lambda bundles, the model artifact, the web page).
    file_publishing: iam.IRole
    # Read-only: reads deployed templates for `cdk diff --method=template`.
    lookup: iam.IRole


def cdk_bootstrap_roles(scope: Construct, *, qualifier: str) -> CdkBootstrapRoles:
    # The app has no Docker image assets, so the image-publishing role stays out of reach.
    def bootstrap_role(construct_id: str, arn_template: str) -> iam.IRole:
        arn = Fn.sub(arn_template.replace("${Qualifier}", checked_qualifier(qualifier)))
        # Not mutable: nothing here may attach policies to roles the bootstrap owns.
        return iam.Role.from_role_arn(scope, construct_id, arn, mutable=False)

    return CdkBootstrapRoles(
        deploy=bootstrap_role("CdkDeployRole", DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN),
        file_publishing=bootstrap_role(
            "CdkFilePublishingRole", DefaultStackSynthesizer.DEFAULT_FILE_ASSET_PUBLISHING_ROLE_ARN
        ),
        lookup=bootstrap_role("CdkLookupRole", DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN),
    )
