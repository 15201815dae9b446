"""The one place that decides what a bucket of this platform looks like."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import LayerLifecycle
from stacks.constructs.shared.retention import Retention


class SecureBucket(Construct):
    """A versioned, SSL-only, private, access-logged, encrypted S3 bucket.

    With `encryption_key` the bucket uses SSE-KMS with a bucket key (fewer KMS calls,
    lower cost); without it SSE-S3, which only the access-log bucket may use because
    S3 server access logging cannot deliver to SSE-KMS buckets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        lifecycle: LayerLifecycle,
        noncurrent_version_expire_days: int,
        abort_incomplete_multipart_days: int,
        retention: Retention,
        disposable: bool = False,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        event_bridge_enabled: bool = False,
        object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ) -> None:
        super().__init__(scope, construct_id)
        # Content rebuilt on every deployment (the web page) goes with its stack.
        removal = RemovalPolicy.DESTROY if disposable else retention.removal_policy
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS
            if encryption_key
            else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None,
            versioned=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # Only CloudFront's standard-log bucket needs ACLs (OBJECT_WRITER).
            object_ownership=object_ownership,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=f"{construct_id}/" if access_logs_bucket else None,
            event_bridge_enabled=event_bridge_enabled,
            lifecycle_rules=[
                _lifecycle_rule(
                    lifecycle, noncurrent_version_expire_days, abort_incomplete_multipart_days
                )
            ],
            removal_policy=removal,
            # Emptying on delete only makes sense where deletion is allowed at all.
            auto_delete_objects=removal == RemovalPolicy.DESTROY,
        )


def _lifecycle_rule(
    layer: LayerLifecycle, noncurrent_days: int, abort_multipart_days: int
) -> s3.LifecycleRule:
    transitions = []
    if layer.infrequent_access_days is not None:
        transitions.append(
            s3.Transition(
                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                transition_after=Duration.days(layer.infrequent_access_days),
            )
        )
    if layer.glacier_days is not None:
        transitions.append(
            s3.Transition(
                storage_class=s3.StorageClass.GLACIER,
                transition_after=Duration.days(layer.glacier_days),
            )
        )
    return s3.LifecycleRule(
        id="layer-lifecycle",
        enabled=True,
        transitions=transitions or None,
        expiration=Duration.days(layer.expire_days) if layer.expire_days is not None else None,
        noncurrent_version_expiration=Duration.days(noncurrent_days),
        abort_incomplete_multipart_upload_after=Duration.days(abort_multipart_days),
    )
