"""Stateful storage: the KMS key, the lake's buckets, the Glue database, the Athena workgroup.

Everything here holds data, so it lives apart from the stateless stacks, which can be
destroyed and redeployed freely. Every resource is built directly in this stack so it
keeps its logical id (tests/stacks pins them).
"""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from stacks.config import DataLakeConfig
from stacks.constructs.lake.lake_analytics import analyst_workgroup, lake_database
from stacks.constructs.lake.lake_buckets import lake_buckets
from stacks.constructs.lake.lake_key import data_lake_key
from stacks.constructs.shared.retention import Retention
from stacks.nag import acknowledge_cdk_helpers
from stacks.outputs import DataLake


class DataLakeStack(Stack):
    outputs: DataLake

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DataLakeConfig,
        retention: Retention,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = data_lake_key(self, "DataKey", retention=retention)
        buckets = lake_buckets(self, lifecycle=config.lifecycle, key=key, retention=retention)
        self.outputs = DataLake(
            key=key,
            buckets=buckets,
            database=lake_database(self, "Catalog", retention=retention),
            workgroup=analyst_workgroup(
                self,
                "Workgroup",
                results=buckets.athena_results,
                key=key,
                bytes_scanned_cutoff=config.athena_bytes_scanned_cutoff,
                retention=retention,
            ),
        )
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
