"""The platform's one SNS topic: pipeline outcomes, alarms and budget alerts.

It lives in a stack of its own, deployed first, so every other stack can publish to it
and the monitoring stack can watch them all without a dependency cycle.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.outputs import Notifications

# AWS services that publish to the topic on our behalf and so must use its key.
_PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "events.amazonaws.com")


class NotificationsStack(Stack):
    outputs: Notifications

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        emails: tuple[str, ...],
        shared_key: kms.IKey | None = None,
        **kwargs,
    ) -> None:
        """`shared_key`: encrypt with the stage's lake key instead of a key of its own."""
        super().__init__(scope, construct_id, **kwargs)
        key = shared_key or kms.Key(
            self,
            "TopicKey",
            description="Encrypts the platform notification topic",
            enable_key_rotation=True,
            pending_window=Duration.days(7),
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAwsServicesToPublishEncrypted",
                principals=[iam.ServicePrincipal(s) for s in _PUBLISHING_SERVICES],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        topic = sns.Topic(
            self,
            "Topic",
            display_name="Reviews platform notifications",
            master_key=key,
            enforce_ssl=True,
        )
        # A topic policy replaces SNS's default one, which is what lets the account's own
        # services publish: CloudWatch alarms, AWS Budgets and EventBridge rules each get
        # a statement, limited to this account and, for alarms and rules, to their ARNs.
        # The monitoring stack's rule targets an imported view of the topic so the CDK
        # adds no unconditioned grant.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
                        )
                    },
                },
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBudgetsToPublish",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeRulesOfThisAccount",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/*"
                        )
                    },
                },
            )
        )
        for email in emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        self.outputs = Notifications(topic=topic)
