"""The Glue side of the lake: the cleaning job, its crawler, data quality and queries."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from constructs import Construct

from lake_layout import (
    CURATED_TABLE,
    PROCESSED_TABLE,
    QUARANTINE_TABLE,
    SCORING_CHANNEL,
    SUMMARY_PREFIX,
)
from stacks import nag
from stacks.config import EtlConfig
from stacks.constructs.etl.cleaning_job import CleaningJob
from stacks.constructs.etl.lake_crawler import LakeCrawler
from stacks.constructs.etl.lake_queries import LakeQueries, named_queries
from stacks.constructs.etl.processed_quality import ProcessedQuality
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group
from stacks.outputs import DataLake, Etl

# Glue's own root for job log groups, which the job role may write (grant_glue_logs).
JOB_LOG_GROUP_ROOT = "/aws-glue/jobs"

# Every wildcard the Glue roles hold, and why it is as narrow as it can be.
_GLUE_ROLE_WILDCARDS = {
    **nag.CDK_GRANT_ACTIONS,
    **nag.under_prefixes(
        (PROCESSED_TABLE, CURATED_TABLE, QUARANTINE_TABLE, SUMMARY_PREFIX),
        "Object keys under one layer prefix are written by Spark and not known in advance.",
    ),
    r'^Resource::\{"Fn::GetStackOutput".*"OutputName":"[^"]*RawBucket[^"]*"\}\}/\*$': (
        "The job reads every raw object; new uploads have unknown keys."
    ),
    r":log-group:/aws-glue/(jobs|crawlers|data-quality)\*$": (
        "Glue names its log groups per run under /aws-glue/; limited to that prefix in "
        "this account and region."
    ),
    r":table/.*/\*$": (
        "A crawler creates and updates the tables it discovers, in the lake database only."
    ),
}


class EtlStack(Stack):
    """Glue job, security configuration, crawler, data-quality ruleset, trigger, queries."""

    outputs: Etl

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EtlConfig,
        lake: DataLake,
        retention: Retention,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key, buckets = lake.key, lake.buckets
        security = glue.SecurityConfiguration(
            self,
            "Security",
            s3_encryption=glue.S3Encryption.kms(key),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(key),
        )
        # Glue 5.x writes to <prefix>/error (system, Spark and Glue logger) and
        # <prefix>/output (the script's stdout and stderr); the names are Glue's.
        log_prefix = f"{JOB_LOG_GROUP_ROOT}/{self.stack_name}"
        job = CleaningJob(
            self,
            "Job",
            config=config,
            lake=lake,
            security=security,
            log_groups=tuple(
                secure_log_group(
                    self,
                    f"Job{kind.title()}Logs",
                    key=key,
                    retention=retention,
                    name=f"{log_prefix}/{kind}",
                )
                for kind in ("error", "output")
            ),
            log_group_prefix=log_prefix,
        )
        if config.trigger == "schedule":
            _scheduled_run(self, config, job.job)
        crawler = LakeCrawler(
            self,
            "Crawler",
            database=lake.database,
            key=key,
            security=security,
            targets={
                buckets.processed: PROCESSED_TABLE,
                buckets.curated: CURATED_TABLE,
                buckets.quarantine: QUARANTINE_TABLE,
            },
            # The JSON Lines scoring channel is batch input, not part of the CSV table.
            skipped_subfolders={CURATED_TABLE: (SCORING_CHANNEL,)},
        )
        quality = ProcessedQuality(
            self,
            "Quality",
            config=config,
            database=lake.database,
            processed=buckets.processed,
            key=key,
        )
        LakeQueries(
            self,
            "Queries",
            database=lake.database,
            workgroup=lake.workgroup,
            queries=named_queries(),
        )
        for role in (job.role, crawler.role, quality.role):
            nag.acknowledge_policy_wildcards(role, _GLUE_ROLE_WILDCARDS)
        self.outputs = Etl(
            job=job.job, crawler=crawler.crawler, ruleset=quality.ruleset, quality_role=quality.role
        )


def _scheduled_run(stack: Stack, config: EtlConfig, job: glue.IJob) -> glue.CfnTrigger:
    """A Glue trigger in the stack's scope (it keeps its logical id)."""
    return glue.CfnTrigger(
        stack,
        "ScheduledRun",
        type="SCHEDULED",
        schedule=config.schedule,
        start_on_creation=True,
        description="Runs the cleaning job on the stage's schedule",
        actions=[glue.CfnTrigger.ActionProperty(job_name=job.job_name)],
    )
