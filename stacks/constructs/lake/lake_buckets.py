"""The lake's eight buckets, one SecureBucket each, with the lifecycle of their layer."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import LayerLifecycle, LifecycleConfig
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_bucket import SecureBucket
from stacks.outputs import LakeBuckets


def lake_buckets(
    scope: Construct, *, lifecycle: LifecycleConfig, key: kms.IKey, retention: Retention
) -> LakeBuckets:
    """Every bucket directly in `scope`, so each keeps its logical id (a replaced bucket
    is lost data)."""

    def bucket(
        construct_id: str,
        layer: LayerLifecycle,
        *,
        access_logs: s3.IBucket | None,
        encrypted: bool = True,
        event_bridge_enabled: bool = False,
    ) -> s3.IBucket:
        return SecureBucket(
            scope,
            construct_id,
            lifecycle=layer,
            noncurrent_version_expire_days=lifecycle.noncurrent_version_expire_days,
            abort_incomplete_multipart_days=lifecycle.abort_incomplete_multipart_days,
            retention=retention,
            encryption_key=key if encrypted else None,
            access_logs_bucket=access_logs,
            event_bridge_enabled=event_bridge_enabled,
        ).bucket

    # S3 server access logging cannot write to SSE-KMS buckets: the log bucket alone
    # uses SSE-S3, and it does not log to itself.
    access_logs = bucket("AccessLogs", lifecycle.access_logs, access_logs=None, encrypted=False)
    deny_log_delivery_from_other_accounts(access_logs)

    def layer(construct_id: str, layer: LayerLifecycle, **options: bool) -> s3.IBucket:
        return bucket(construct_id, layer, access_logs=access_logs, **options)

    return LakeBuckets(
        access_logs=access_logs,
        # EventBridge notifications let the pipeline start on new raw objects.
        raw=layer("Raw", lifecycle.raw, event_bridge_enabled=True),
        processed=layer("Processed", lifecycle.processed),
        curated=layer("Curated", lifecycle.curated),
        quarantine=layer("Quarantine", lifecycle.quarantine),
        # Training output, checkpoints, source bundles and endpoint data capture.
        models=layer("Models", lifecycle.models),
        athena_results=layer("AthenaResults", lifecycle.athena_results),
        # Scored runs are rebuilt from a model and its input, like model artifacts: the
        # models layer's lifecycle until the stage config gives predictions its own.
        predictions=layer("Predictions", lifecycle.models),
    )


def deny_log_delivery_from_other_accounts(access_logs: s3.IBucket) -> None:
    """S3 log delivery may write here for this account's buckets only.

    CDK conditions its log-delivery grant on the source bucket's ARN and account only when
    that bucket is in the same stack; the web page's buckets (serving stack) get a grant
    with no condition, which any account's bucket could use as a confused deputy. One deny
    covers every grant, present and future, whichever stack adds it.
    """
    access_logs.add_to_resource_policy(
        iam.PolicyStatement(
            sid="LogDeliveryFromThisAccountOnly",
            effect=iam.Effect.DENY,
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[access_logs.arn_for_objects("*")],
            conditions={"StringNotEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        )
    )
