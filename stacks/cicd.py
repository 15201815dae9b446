"""GitHub Actions' way into one stage's account: an OIDC provider and two narrow roles.

Deployed once by hand per stage (README, "From fork to prod"); the workflow then reads
the role ARNs from repository and environment variables. The diff role is for pull
requests of this repository only and can do nothing but read through the CDK lookup
role; the deploy role is for jobs bound to the stage's GitHub environment (whose
required reviewers gate prod) and can only hop into the stage's CDK bootstrap roles.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from stacks.config import CicdConfig
from stacks.constructs.cicd.bootstrap_roles import cdk_bootstrap_roles
from stacks.constructs.cicd.github_oidc import github_actions_role, github_oidc_provider
from stacks.constructs.cicd.github_repository import GithubRepository, checked_qualifier


class CicdStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: CicdConfig, stage: str, **kwargs
    ) -> None:
        # Checked before the stack exists, so bad input leaves nothing half-built behind.
        repository = GithubRepository.parse(config.github_repository)
        qualifier = checked_qualifier(config.cdk_qualifier)
        super().__init__(scope, construct_id, **kwargs)

        provider = github_oidc_provider(self, "GithubOidcProvider")
        bootstrap = cdk_bootstrap_roles(self, qualifier=qualifier)

        # `cdk diff --method=template` reads deployed templates through the lookup role
        # (ReadOnlyAccess, no KMS decrypt) and creates no change set, so the diff role
        # needs no CloudFormation permission of its own.
        diff_role = github_actions_role(
            self,
            "DiffRole",
            provider=provider,
            subject=repository.pull_request_subject,
            description="GitHub pull requests of this repository: cdk diff (read-only)",
        )
        bootstrap.lookup.grant_assume_role(diff_role)

        deploy_role = github_actions_role(
            self,
            "DeployRole",
            provider=provider,
            subject=repository.environment_subject(stage),
            description=f"GitHub jobs in environment {stage}: cdk deploy via bootstrap roles",
        )
        for bootstrap_role in (bootstrap.deploy, bootstrap.file_publishing, bootstrap.lookup):
            bootstrap_role.grant_assume_role(deploy_role)

        CfnOutput(
            self,
            "DiffRoleArn",
            value=diff_role.role_arn,
            description="Repository variable CDK_DIFF_ROLE_ARN (take it from the prod stage)",
        )
        CfnOutput(
            self,
            "DeployRoleArn",
            value=deploy_role.role_arn,
            description=f"Variable CDK_DEPLOY_ROLE_ARN of the GitHub environment '{stage}'",
        )
