"""The lake's Glue Data Catalog database and the Athena workgroup analysts query through."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.shared.retention import Retention

# The folder of the results bucket the workgroup writes every query's result to.
QUERY_RESULTS_PREFIX = "results"


def lake_database(scope: Construct, construct_id: str, *, retention: Retention) -> glue.Database:
    """The catalog database, in the caller's scope so it keeps its logical id."""
    database = glue.Database(
        scope,
        construct_id,
        description="Reviews data lake: processed, curated and quarantine tables",
    )
    database.apply_removal_policy(retention.removal_policy)
    return database


def analyst_workgroup(
    scope: Construct,
    construct_id: str,
    *,
    results: s3.IBucket,
    key: kms.IKey,
    bytes_scanned_cutoff: int,
    retention: Retention,
) -> athena.CfnWorkGroup:
    """An enforced workgroup: KMS-encrypted results, a per-query scan cutoff, metrics."""
    stack = Stack.of(scope)
    workgroup = athena.CfnWorkGroup(
        scope,
        construct_id,
        # Workgroups require a name; the stack name keeps stages apart in one account.
        name=f"{stack.stack_name}-analysts",
        description="SQL over the reviews data lake; results encrypted, scans capped",
        state="ENABLED",
        recursive_delete_option=not retention.retain_data,
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            enforce_work_group_configuration=True,
            publish_cloud_watch_metrics_enabled=True,
            bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
            requester_pays_enabled=False,
            engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                selected_engine_version="Athena engine version 3"
            ),
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                output_location=results.s3_url_for_object(f"{QUERY_RESULTS_PREFIX}/"),
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_KMS", kms_key=key.key_arn
                ),
                expected_bucket_owner=stack.account,
            ),
        ),
    )
    workgroup.apply_removal_policy(retention.removal_policy)
    return workgroup
