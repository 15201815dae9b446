"""SecureBucket, the log-group builder and Retention: the platform's storage defaults."""

from __future__ import annotations

import json

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from stacks.config import ConfigError, LayerLifecycle
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_bucket import SecureBucket
from stacks.constructs.shared.secure_log_group import secure_log_group


def _bucket(stack, retention, **options):
    return SecureBucket(
        stack,
        "Layer",
        lifecycle=LayerLifecycle(infrequent_access_days=30, glacier_days=90, expire_days=400),
        noncurrent_version_expire_days=14,
        abort_incomplete_multipart_days=3,
        retention=retention,
        **options,
    )


def test_kms_bucket_is_versioned_private_tls_only_and_follows_its_lifecycle(stack, retained):
    key = kms.Key(stack, "Key")
    _bucket(stack, retained, encryption_key=key)
    template = Template.from_stack(stack)
    (bucket,) = template.find_resources("AWS::S3::Bucket").values()
    props = bucket["Properties"]
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["BucketKeyEnabled"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    (lifecycle,) = props["LifecycleConfiguration"]["Rules"]
    assert [t["TransitionInDays"] for t in lifecycle["Transitions"]] == [30, 90]
    assert lifecycle["ExpirationInDays"] == 400
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 14}
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}
    policy = json.dumps(template.find_resources("AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policy
    assert bucket["DeletionPolicy"] == "Retain"
    # Retained data is never emptied by a custom resource.
    assert template.find_resources("Custom::S3AutoDeleteObjects") == {}


def test_without_a_key_a_bucket_uses_s3_managed_keys(stack, retained):
    _bucket(stack, retained)
    (bucket,) = Template.from_stack(stack).find_resources("AWS::S3::Bucket").values()
    rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("disposable_content", [False, True])
def test_a_disposable_stage_or_content_deletes_and_empties_the_bucket(
    stack, disposable, retained, disposable_content
):
    retention = retained if disposable_content else disposable
    _bucket(stack, retention, disposable=disposable_content)
    template = Template.from_stack(stack)
    (bucket,) = template.find_resources("AWS::S3::Bucket").values()
    assert bucket["DeletionPolicy"] == "Delete"
    assert len(template.find_resources("Custom::S3AutoDeleteObjects")) == 1


def test_log_group_is_encrypted_and_kept_as_the_stage_says(stack, retained, disposable):
    key = kms.Key(stack, "Key")
    secure_log_group(stack, "Kept", key=key, retention=retained)
    secure_log_group(stack, "Dropped", key=key, retention=disposable)
    groups = Template.from_stack(stack).find_resources("AWS::Logs::LogGroup")
    by_id = {k[:4]: v for k, v in groups.items()}
    assert by_id["Kept"]["Properties"]["RetentionInDays"] == 365
    assert by_id["Kept"]["DeletionPolicy"] == "Retain"
    assert by_id["Drop"]["Properties"]["RetentionInDays"] == 7
    assert by_id["Drop"]["DeletionPolicy"] == "Delete"
    for group in groups.values():
        assert "Key" in json.dumps(group["Properties"]["KmsKeyId"])


def test_retention_rejects_days_cloudwatch_does_not_offer():
    with pytest.raises(ConfigError, match="monitoring.log_retention_days"):
        Retention(retain_data=False, log_retention_days=10)
    assert Retention(retain_data=True, log_retention_days=30).key_pending_window.to_days() == 30
    assert Retention(retain_data=False, log_retention_days=30).key_pending_window.to_days() == 7
