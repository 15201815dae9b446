"""Stateful storage: the KMS key, the lake's buckets, the Glue database, the Athena workgroup.

Everything here holds data, so it lives apart from the stateless stacks, which can be
destroyed and redeployed freely.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import DataLakeConfig, LayerLifecycle
from stacks.constructs.secure_bucket import SecureBucket
from stacks.nag import acknowledge_cdk_helpers


class DataLakeStack(Stack):
    """Buckets, key, database and workgroup, exposed as typed attributes."""

    key: kms.Key
    access_logs_bucket: s3.Bucket
    raw_bucket: s3.Bucket
    processed_bucket: s3.Bucket
    curated_bucket: s3.Bucket
    quarantine_bucket: s3.Bucket
    models_bucket: s3.Bucket
    athena_results_bucket: s3.Bucket
    database: glue.Database
    workgroup: athena.CfnWorkGroup

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DataLakeConfig, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        self.key = kms.Key(
            self,
            "DataKey",
            description="Encrypts the review data lake, ETL output, models and query results",
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            removal_policy=removal,
            pending_window=Duration.days(30 if config.retain_data else 7),
        )

        # The platform's log groups (Glue, Lambda, API access logs, Step Functions) are
        # encrypted with this key too; CloudWatch Logs may use it for this account only.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )

        lifecycle = config.lifecycle

        def bucket(
            construct_id: str,
            layer: LayerLifecycle,
            *,
            kms_encrypted: bool = True,
            event_bridge_enabled: bool = False,
        ) -> s3.Bucket:
            return SecureBucket(
                self,
                construct_id,
                lifecycle=layer,
                noncurrent_version_expire_days=lifecycle.noncurrent_version_expire_days,
                abort_incomplete_multipart_days=lifecycle.abort_incomplete_multipart_days,
                retain=config.retain_data,
                encryption_key=self.key if kms_encrypted else None,
                access_logs_bucket=self.access_logs_bucket if kms_encrypted else None,
                event_bridge_enabled=event_bridge_enabled,
            ).bucket

        # S3 server access logging cannot write to SSE-KMS buckets: the log bucket
        # alone uses SSE-S3, and it does not log to itself.
        self.access_logs_bucket = bucket("AccessLogs", lifecycle.access_logs, kms_encrypted=False)
        # EventBridge notifications let the ETL pipeline start on new raw objects.
        self.raw_bucket = bucket("Raw", lifecycle.raw, event_bridge_enabled=True)
        self.processed_bucket = bucket("Processed", lifecycle.processed)
        self.curated_bucket = bucket("Curated", lifecycle.curated)
        self.quarantine_bucket = bucket("Quarantine", lifecycle.quarantine)
        # Training output, checkpoints, source bundles and endpoint data capture.
        self.models_bucket = bucket("Models", lifecycle.models)
        self.athena_results_bucket = bucket("AthenaResults", lifecycle.athena_results)

        self.database = glue.Database(
            self,
            "Catalog",
            description="Reviews data lake: processed, curated and quarantine tables",
        )
        self.database.apply_removal_policy(removal)

        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            # Workgroups require a name; stack name keeps stages apart in one account.
            name=f"{Stack.of(self).stack_name}-analysts",
            description="SQL over the reviews data lake; results encrypted, scans capped",
            state="ENABLED",
            recursive_delete_option=not config.retain_data,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=config.athena_bytes_scanned_cutoff,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.athena_results_bucket.s3_url_for_object("results/"),
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=self.key.key_arn
                    ),
                    expected_bucket_owner=self.account,
                ),
            ),
        )
        self.workgroup.apply_removal_policy(removal)

        acknowledge_cdk_helpers(
            self,
            id_prefix="BucketNotificationsHandler",
            reason="CDK's own handler that switches on EventBridge delivery for the raw "
            "bucket; it needs only CloudWatch Logs, which the basic execution role grants.",
            rules={
                "AwsSolutions-IAM4": "Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AWSLambdaBasicExecutionRole"
            },
        )
