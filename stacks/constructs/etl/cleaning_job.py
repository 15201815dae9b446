"""The Glue job that cleans raw reviews into the processed, curated and quarantine layers."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from etl_options import GLUE_COMMON_MODULES, glue_arguments
from lake_layout import (
    CURATED_TABLE,
    PROCESSED_TABLE,
    QUARANTINE_TABLE,
    SUMMARY_FILE,
    SUMMARY_PREFIX,
)
from stacks.config import EtlConfig
from stacks.constructs.etl.glue_grants import grant_glue_logs
from stacks.constructs.shared.asset_grants import grant_read_asset
from stacks.outputs import DataLake, LakeBuckets
from stacks.source_paths import COMMON, GLUE_JOBS

ENTRY_SCRIPT = GLUE_JOBS / "clean_reviews.py"


def job_modules() -> list:
    """Every file Glue ships with --extra-py-files (flat onto the job's path)."""
    own = sorted(p for p in GLUE_JOBS.glob("*.py") if p != ENTRY_SCRIPT)
    return [*own, *(COMMON / f"{name}.py" for name in GLUE_COMMON_MODULES)]


def _code(asset: s3_assets.Asset) -> glue.Code:
    return glue.Code.from_bucket(asset.bucket, asset.s3_object_key)


class CleaningJob(Construct):
    """Role (read raw, write three layers) and the PySpark job on Glue 5.1."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EtlConfig,
        lake: DataLake,
        security: glue.ISecurityConfiguration,
        log_groups: tuple[logs.ILogGroup, ...],
        log_group_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        buckets = lake.buckets
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Runs the review-cleaning Glue job: reads raw, writes the lake layers",
        )
        buckets.raw.grant_read(self.role)
        # Overwriting a layer deletes its previous objects, hence read-write.
        buckets.processed.grant_read_write(self.role, f"{PROCESSED_TABLE}/*")
        buckets.processed.grant_read_write(self.role, f"{SUMMARY_PREFIX}/*")
        buckets.curated.grant_read_write(self.role, f"{CURATED_TABLE}/*")
        buckets.quarantine.grant_read_write(self.role, f"{QUARANTINE_TABLE}/*")
        lake.key.grant_encrypt_decrypt(self.role)
        grant_glue_logs(self.role, "jobs")
        for log_group in log_groups:
            log_group.grant_write(self.role)

        script, *modules = (
            s3_assets.Asset(self, path.stem, path=str(path))
            for path in (ENTRY_SCRIPT, *job_modules())
        )
        for asset in (script, *modules):
            grant_read_asset(asset, self.role)
        self.job = glue.PySparkEtlJob(
            self,
            "Job",
            description="Cleans raw reviews into processed, curated and quarantine layers",
            glue_version=glue.GlueVersion.V5_1,
            # Grants above, per object: the L2 would grant the whole bootstrap bucket.
            role=self.role.without_policy_updates(),
            script=_code(script),
            extra_python_files=[_code(module) for module in modules],
            worker_configuration=glue.WorkerConfiguration(
                worker_type=glue.WorkerType[config.worker_type.replace(".", "_")],
                number_of_workers=config.number_of_workers,
            ),
            timeout=Duration.minutes(config.timeout_minutes),
            max_retries=config.max_retries,
            max_concurrent_runs=1,
            security_configuration=security,
            # Glue 5.x logs in real time on its own; the continuous-logging arguments are
            # for Glue 4.0 and earlier. --custom-logGroup-prefix moves its two log groups
            # (<prefix>/error and <prefix>/output) to ours, retained and KMS-encrypted.
            # https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
            continuous_logging=glue.ContinuousLoggingProps(enabled=False),
            enable_metrics=True,
            enable_observability_metrics=True,
            default_arguments={
                # Deduplication needs the whole corpus, so each run reads all of raw and
                # overwrites its outputs (idempotent): bookmarks would narrow the input.
                "--job-bookmark-option": "job-bookmark-disable",
                "--custom-logGroup-prefix": log_group_prefix,
                **glue_arguments(_job_options(config, buckets)),
            },
        )


def _job_options(config: EtlConfig, buckets: LakeBuckets) -> dict[str, object]:
    """The job's own options (etl_options): where each layer goes, and the thresholds."""
    return {
        "raw_path": buckets.raw.s3_url_for_object(),
        "processed_path": buckets.processed.s3_url_for_object(f"{PROCESSED_TABLE}/"),
        "curated_path": buckets.curated.s3_url_for_object(f"{CURATED_TABLE}/"),
        "quarantine_path": buckets.quarantine.s3_url_for_object(f"{QUARANTINE_TABLE}/"),
        "summary_path": buckets.processed.s3_url_for_object(f"{SUMMARY_PREFIX}/{SUMMARY_FILE}"),
        "input_format": "auto",
        "split_from_filename": config.split_from_filename,
        "min_chars": config.min_chars,
        "max_chars": config.max_chars,
        "validation_percent": config.validation_percent,
        "test_percent": config.test_percent,
        "max_quarantine_share": config.max_quarantine_share,
    }
