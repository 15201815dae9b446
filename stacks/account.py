"""Account-wide settings the stages share: API Gateway's CloudWatch Logs role.

API Gateway keeps one CloudWatch role per account and region. A REST API that sets it
itself (`cloud_watch_role=True`) makes every stage in the account overwrite it, and
deleting one stage's API takes the setting away from the others. This stack owns it
instead: the same stack for every stage of the project (`<project>-account`), its role
retained when the stack goes, and every serving stack deploys after it.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks import nag

PUSH_TO_LOGS_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class AccountStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write execution and access logs (account setting)",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(PUSH_TO_LOGS_POLICY)],
        )
        # Another stage may still log through it when this stack is deleted.
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        nag.acknowledge(
            role,
            "AwsSolutions-IAM4",
            "ApiGatewayLogsRole uses AmazonAPIGatewayPushToCloudWatchLogs, the AWS-documented "
            "policy for API Gateway's account logging role; it only creates and writes logs.",
            finding=f"Policy::arn:<AWS::Partition>:iam::aws:policy/{PUSH_TO_LOGS_POLICY}",
        )
