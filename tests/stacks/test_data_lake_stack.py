"""The data lake: encryption, TLS-only access, lifecycle, retention, catalog, Athena."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

LAYERS_WITH_KMS = (
    "Raw",
    "Processed",
    "Curated",
    "Quarantine",
    "Models",
    "AthenaResults",
    "Predictions",
)


def _buckets(template) -> dict[str, dict]:
    return template.find_resources("AWS::S3::Bucket")


def _bucket_id(stack, construct_id: str) -> str:
    bucket = stack.node.find_child(construct_id).node.find_child("Bucket")
    return stack.get_logical_id(bucket.node.default_child)


@pytest.mark.parametrize("layer", LAYERS_WITH_KMS)
def test_data_buckets_use_the_lake_key(dev, layer):
    stack = dev.stack("data-lake")
    template = dev.template("data-lake")
    key_id = stack.get_logical_id(stack.outputs.key.node.default_child)
    bucket = _buckets(template)[_bucket_id(stack, layer)]
    rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True


def test_access_log_bucket_uses_s3_managed_keys_and_every_other_bucket_logs_to_it(dev):
    stack = dev.stack("data-lake")
    buckets = _buckets(dev.template("data-lake"))
    log_id = _bucket_id(stack, "AccessLogs")
    log_sse = buckets[log_id]["Properties"]["BucketEncryption"]
    assert log_sse["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    for layer in LAYERS_WITH_KMS:
        logging = buckets[_bucket_id(stack, layer)]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": log_id}
        assert logging["LogFilePrefix"] == f"{layer}/"


def _log_delivery_statements(stage) -> list[dict]:
    stack = stage.stack("data-lake")
    log_id = _bucket_id(stack, "AccessLogs")
    policies = stage.template("data-lake").find_resources("AWS::S3::BucketPolicy")
    (policy,) = (p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": log_id})
    return [
        statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
    ]


def test_only_this_accounts_buckets_may_deliver_access_logs(synthesised):
    for stage in synthesised.values():
        statements = _log_delivery_statements(stage)
        (deny,) = (s for s in statements if s["Effect"] == "Deny")
        assert deny["Action"] == "s3:PutObject"
        assert deny["Condition"] == {
            "StringNotEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }
        log_id = _bucket_id(stage.stack("data-lake"), "AccessLogs")
        assert deny["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [log_id, "Arn"]}, "/*"]]}
        # The deny is what guards the grants CDK leaves unconditioned (the web page's
        # buckets log here from the serving stack): prove there is one to guard.
        unconditioned = [s for s in statements if s["Effect"] == "Allow" and "Condition" not in s]
        assert unconditioned, "no cross-stack grant left: the deny may be redundant now"


def test_every_bucket_is_versioned_private_and_owner_enforced(synthesised):
    for stage in synthesised.values():
        buckets = _buckets(stage.template("data-lake"))
        assert len(buckets) == 8
        for props in (b["Properties"] for b in buckets.values()):
            assert props["VersioningConfiguration"] == {"Status": "Enabled"}
            assert props["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
            assert props["OwnershipControls"]["Rules"] == [
                {"ObjectOwnership": "BucketOwnerEnforced"}
            ]


def test_every_bucket_policy_denies_plain_http_and_old_tls(dev):
    template = dev.template("data-lake")
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 8
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(
            s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Action"] == "s3:*"
            for s in denies
        )
        assert any(s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in denies)


def test_lifecycle_rules_follow_stage_config(synthesised):
    for stage in synthesised.values():
        stack = stage.stack("data-lake")
        buckets = _buckets(stage.template("data-lake"))
        lifecycle = stage.config.data_lake.lifecycle
        raw_rule = buckets[_bucket_id(stack, "Raw")]["Properties"]["LifecycleConfiguration"][
            "Rules"
        ][0]
        assert raw_rule["Transitions"] == [
            {
                "StorageClass": "STANDARD_IA",
                "TransitionInDays": lifecycle.raw.infrequent_access_days,
            },
            {"StorageClass": "GLACIER", "TransitionInDays": lifecycle.raw.glacier_days},
        ]
        assert raw_rule["NoncurrentVersionExpiration"] == {
            "NoncurrentDays": lifecycle.noncurrent_version_expire_days
        }
        assert raw_rule["AbortIncompleteMultipartUpload"] == {
            "DaysAfterInitiation": lifecycle.abort_incomplete_multipart_days
        }
        quarantine_rule = buckets[_bucket_id(stack, "Quarantine")]["Properties"][
            "LifecycleConfiguration"
        ]["Rules"][0]
        assert quarantine_rule["ExpirationInDays"] == lifecycle.quarantine.expire_days
        # Predictions are rebuilt from a model and its input: the models layer's rule.
        rules = {
            layer: buckets[_bucket_id(stack, layer)]["Properties"]["LifecycleConfiguration"]
            for layer in ("Models", "Predictions")
        }
        assert rules["Predictions"] == rules["Models"]
        assert rules["Models"]["Rules"][0]["Transitions"] == [
            {
                "StorageClass": "STANDARD_IA",
                "TransitionInDays": lifecycle.models.infrequent_access_days,
            }
        ]


def test_prod_quarantine_is_kept_longer_than_dev(dev, prod):
    assert (
        prod.config.data_lake.lifecycle.quarantine.expire_days
        > dev.config.data_lake.lifecycle.quarantine.expire_days
    )


def test_prod_retains_data_and_dev_destroys_it(dev, prod):
    for stage, policy in ((prod, "Retain"), (dev, "Delete")):
        template = stage.template("data-lake")
        for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
            for resource in template.find_resources(resource_type).values():
                assert resource["DeletionPolicy"] == policy, (stage.config.stage, resource_type)
        assert bool(template.find_resources("Custom::S3AutoDeleteObjects")) == (policy == "Delete")


def test_key_rotates(dev):
    dev.template("data-lake").has_resource_properties(
        "AWS::KMS::Key", {"EnableKeyRotation": True, "RotationPeriodInDays": 365}
    )


def test_athena_workgroup_enforces_encrypted_results_and_a_scan_cutoff(synthesised):
    for stage in synthesised.values():
        stack = stage.stack("data-lake")
        key_id = stack.get_logical_id(stack.outputs.key.node.default_child)
        cutoff = stage.config.data_lake.athena_bytes_scanned_cutoff
        stage.template("data-lake").has_resource_properties(
            "AWS::Athena::WorkGroup",
            {
                "WorkGroupConfiguration": {
                    "EnforceWorkGroupConfiguration": True,
                    "PublishCloudWatchMetricsEnabled": True,
                    "BytesScannedCutoffPerQuery": cutoff,
                    "ResultConfiguration": {
                        "EncryptionConfiguration": {
                            "EncryptionOption": "SSE_KMS",
                            "KmsKey": {"Fn::GetAtt": [key_id, "Arn"]},
                        },
                        "OutputLocation": Match.any_value(),
                    },
                }
            },
        )


def test_prod_scan_cutoff_is_larger_than_dev(dev, prod):
    assert (
        prod.config.data_lake.athena_bytes_scanned_cutoff
        > dev.config.data_lake.athena_bytes_scanned_cutoff
    )


def test_glue_database_exists_without_a_fixed_name(dev):
    databases = dev.template("data-lake").find_resources("AWS::Glue::Database")
    assert len(databases) == 1
    (database,) = databases.values()
    # CDK derives a unique name; a hard-coded one would clash between stages.
    assert database["Properties"]["DatabaseInput"]["Name"] != "reviews"


def test_raw_bucket_sends_events_to_eventbridge(dev):
    stack = dev.stack("data-lake")
    notifications = dev.template("data-lake").find_resources("Custom::S3BucketNotifications")
    (notification,) = notifications.values()
    assert notification["Properties"]["BucketName"] == {"Ref": _bucket_id(stack, "Raw")}
    assert notification["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {}
    }
