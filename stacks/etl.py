"""The Glue side of the lake: the cleaning job, its crawler, data quality and queries."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import EtlConfig
from stacks.nag import acknowledge_policy_wildcards

REPO_ROOT = Path(__file__).resolve().parent.parent
JOB_SCRIPT = REPO_ROOT / "glue_jobs" / "clean_reviews.py"
TEXT_NORMALISATION = REPO_ROOT / "common" / "text_normalization.py"

# Folder names under each bucket; the crawler names tables after them.
PROCESSED_TABLE = "processed_reviews"
CURATED_TABLE = "curated_reviews"
QUARANTINE_TABLE = "quarantined_reviews"
SUMMARY_PREFIX = "etl-run-summaries"


# Every wildcard the Glue roles hold, and why it is as narrow as it can be.
_GLUE_ROLE_WILDCARDS = {
    r"^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$": (
        "CDK's bucket grants use this action family; resources stay one lake bucket or prefix."
    ),
    r"^Action::kms:(GenerateDataKey|ReEncrypt)\*$": (
        "CDK's key grants use this action family on the single lake key."
    ),
    rf"/({PROCESSED_TABLE}|{CURATED_TABLE}|{QUARANTINE_TABLE}|{SUMMARY_PREFIX})/\*$": (
        "Object keys under one layer prefix are written by Spark and not known in advance."
    ),
    r'^Resource::\{"Fn::GetStackOutput".*"OutputName":"[^"]*RawBucket[^"]*"\}\}/\*$': (
        "The job reads every raw object; new uploads have unknown keys."
    ),
    r"^Resource::arn:<AWS::Partition>:s3:::cdk-\w+-assets-<AWS::AccountId>-<AWS::Region>/\*$": (
        "CDK's asset bucket: the job reads its own script and helper module from it."
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

    job: glue.PySparkEtlJob
    crawler: glue.CfnCrawler
    ruleset: glue.DataQualityRuleset
    quality_role: iam.Role
    processed_uri: str
    curated_uri: str
    summary_uri: str

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EtlConfig,
        key: kms.IKey,
        raw_bucket: s3.IBucket,
        processed_bucket: s3.IBucket,
        curated_bucket: s3.IBucket,
        quarantine_bucket: s3.IBucket,
        database: glue.IDatabase,
        workgroup_name: str,
        log_retention: logs.RetentionDays,
        retain_data: bool,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.processed_uri = processed_bucket.s3_url_for_object(f"{PROCESSED_TABLE}/")
        self.curated_uri = curated_bucket.s3_url_for_object(f"{CURATED_TABLE}/")
        quarantine_uri = quarantine_bucket.s3_url_for_object(f"{QUARANTINE_TABLE}/")
        self.summary_uri = processed_bucket.s3_url_for_object(f"{SUMMARY_PREFIX}/latest.json")

        security = glue.SecurityConfiguration(
            self,
            "Security",
            s3_encryption=glue.S3Encryption.kms(key),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(key),
        )

        role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Runs the review-cleaning Glue job: reads raw, writes the lake layers",
        )
        raw_bucket.grant_read(role)
        # Overwriting a layer deletes its previous objects, hence read-write.
        processed_bucket.grant_read_write(role, f"{PROCESSED_TABLE}/*")
        processed_bucket.grant_read_write(role, f"{SUMMARY_PREFIX}/*")
        curated_bucket.grant_read_write(role, f"{CURATED_TABLE}/*")
        quarantine_bucket.grant_read_write(role, f"{QUARANTINE_TABLE}/*")
        key.grant_encrypt_decrypt(role)
        _grant_glue_logs(role, "jobs")

        log_group = logs.LogGroup(
            self,
            "JobLogs",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY,
        )
        log_group.grant_write(role)

        self.job = glue.PySparkEtlJob(
            self,
            "CleanReviews",
            description="Cleans raw reviews into processed, curated and quarantine layers",
            glue_version=glue.GlueVersion.V5_1,
            role=role,
            script=glue.Code.from_asset(str(JOB_SCRIPT)),
            # The same normaliser the model applies at prediction time.
            extra_python_files=[glue.Code.from_asset(str(TEXT_NORMALISATION))],
            worker_configuration=glue.WorkerConfiguration(
                worker_type=glue.WorkerType[config.worker_type.replace(".", "_")],
                number_of_workers=config.number_of_workers,
            ),
            timeout=Duration.minutes(config.timeout_minutes),
            max_retries=config.max_retries,
            max_concurrent_runs=1,
            security_configuration=security,
            continuous_logging=glue.ContinuousLoggingProps(
                enabled=True, log_group=log_group, quiet=True
            ),
            enable_metrics=True,
            enable_observability_metrics=True,
            default_arguments={
                # Deduplication needs the whole corpus, so each run recomputes from all
                # of raw and overwrites (idempotent); bookmarks stay configurable.
                "--job-bookmark-option": (
                    "job-bookmark-enable" if config.job_bookmarks else "job-bookmark-disable"
                ),
                "--raw_path": raw_bucket.s3_url_for_object(),
                "--processed_path": self.processed_uri,
                "--curated_path": self.curated_uri,
                "--quarantine_path": quarantine_uri,
                "--summary_path": self.summary_uri,
                "--input_format": "auto",
                "--split_from_filename": str(config.split_from_filename).lower(),
                "--min_chars": str(config.min_chars),
                "--max_chars": str(config.max_chars),
                "--validation_percent": str(config.validation_percent),
                "--test_percent": str(config.test_percent),
                "--max_quarantine_share": str(config.max_quarantine_share),
            },
        )

        if config.trigger == "schedule":
            glue.CfnTrigger(
                self,
                "ScheduledRun",
                type="SCHEDULED",
                schedule=config.schedule,
                start_on_creation=True,
                description="Runs the cleaning job on the stage's schedule",
                actions=[glue.CfnTrigger.ActionProperty(job_name=self.job.job_name)],
            )

        self.crawler = self._crawler(
            security=security,
            database=database,
            key=key,
            targets={
                processed_bucket: PROCESSED_TABLE,
                curated_bucket: CURATED_TABLE,
                quarantine_bucket: QUARANTINE_TABLE,
            },
        )

        self.ruleset = glue.DataQualityRuleset(
            self,
            "ProcessedQuality",
            ruleset_name=f"{self.stack_name}-processed-reviews",
            description="What every processed review must satisfy",
            target_table=glue.DataQualityTargetTable.from_table_name(database, PROCESSED_TABLE),
            dqdl=glue.Dqdl.from_string(processed_ruleset(config)),
        )

        # Glue assumes this role to evaluate the ruleset against the processed table.
        self.quality_role = iam.Role(
            self,
            "QualityRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Evaluates the data-quality ruleset on the processed table",
        )
        processed_bucket.grant_read(self.quality_role, f"{PROCESSED_TABLE}/*")
        key.grant_decrypt(self.quality_role)
        _grant_glue_logs(self.quality_role, "data-quality")
        _grant_catalog(
            self.quality_role,
            database,
            table=PROCESSED_TABLE,
            actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
        )
        self.quality_role.add_to_policy(
            iam.PolicyStatement(
                actions=["glue:GetDataQualityRuleset", "glue:PublishDataQuality"],
                resources=[
                    Stack.of(self).format_arn(
                        service="glue",
                        resource="dataQualityRuleset",
                        resource_name=self.ruleset.ruleset_name,
                    )
                ],
            )
        )
        acknowledge_policy_wildcards(self.quality_role, _GLUE_ROLE_WILDCARDS)

        for name, (description, sql) in named_queries().items():
            athena.CfnNamedQuery(
                self,
                name,
                database=database.database_name,
                work_group=workgroup_name,
                description=description,
                query_string=sql,
            )

        acknowledge_policy_wildcards(role, _GLUE_ROLE_WILDCARDS)

    def _crawler(
        self,
        *,
        security: glue.SecurityConfiguration,
        database: glue.IDatabase,
        key: kms.IKey,
        targets: dict[s3.IBucket, str],
    ) -> glue.CfnCrawler:
        role = iam.Role(
            self,
            "CrawlerRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Catalogs the processed, curated and quarantine layers",
        )
        for bucket, folder in targets.items():
            bucket.grant_read(role, f"{folder}/*")
        key.grant_decrypt(role)
        _grant_glue_logs(role, "crawlers")
        # Exactly the calls a crawler makes, on this database and its tables only.
        _grant_catalog(
            role,
            database,
            table="*",
            actions=[
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:GetTables",
                "glue:CreateTable",
                "glue:UpdateTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
                "glue:CreatePartition",
                "glue:BatchCreatePartition",
                "glue:UpdatePartition",
                "glue:BatchUpdatePartition",
            ],
        )
        crawler = glue.CfnCrawler(
            self,
            "Crawler",
            role=role.role_arn,
            database_name=database.database_name,
            description="Catalogs the lake's review tables for Athena",
            crawler_security_configuration=security.security_configuration_name,
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=bucket.s3_url_for_object(f"{folder}/"),
                        exclusions=["**/_SUCCESS", "**/*.crc"],
                    )
                    for bucket, folder in targets.items()
                ]
            ),
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"
            ),
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(
                recrawl_behavior="CRAWL_EVERYTHING"
            ),
            # Keep one table per folder even when partitions differ slightly.
            configuration=(
                '{"Version":1.0,"Grouping":{"TableGroupingPolicy":"CombineCompatibleSchemas"},'
                '"CrawlerOutput":{"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}}}'
            ),
        )
        acknowledge_policy_wildcards(role, _GLUE_ROLE_WILDCARDS)
        return crawler


def processed_ruleset(config: EtlConfig) -> str:
    """DQDL for the processed table: the contract the training data relies on."""
    rules = [
        "RowCount > 0",
        'IsComplete "review_id"',
        'IsUnique "review_id"',
        'IsComplete "review"',
        'IsComplete "label"',
        'ColumnValues "sentiment" in ["positive", "negative"]',
        'ColumnValues "label" in [0, 1]',
        f'ColumnLength "review" between {config.min_chars - 1} and {config.max_chars + 1}',
    ]
    return "Rules = [\n    " + ",\n    ".join(rules) + "\n]"


def named_queries() -> dict[str, tuple[str, str]]:
    """Saved Athena queries for the first questions anyone asks of the lake.

    Each runs in the lake database (set on the query), so tables need no qualifier.
    Table names are this module's constants, never input: no injection surface.
    """
    return {
        "LabelBalance": (
            "Reviews per split and sentiment",
            f"SELECT split, sentiment, count(*) AS reviews FROM {PROCESSED_TABLE} "  # noqa: S608
            "GROUP BY split, sentiment ORDER BY split, sentiment;",
        ),
        "LengthDistribution": (
            "Review length percentiles per sentiment",
            "SELECT sentiment, approx_percentile(word_count, ARRAY[0.1, 0.5, 0.9, 0.99]) "  # noqa: S608
            f"AS word_count_p10_p50_p90_p99 FROM {PROCESSED_TABLE} "
            "GROUP BY sentiment;",
        ),
        "QuarantineReasons": (
            "Why rows were quarantined",
            f"SELECT reason, count(*) AS row_count FROM {QUARANTINE_TABLE} "  # noqa: S608
            "GROUP BY reason ORDER BY row_count DESC;",
        ),
    }


def _grant_catalog(
    role: iam.Role, database: glue.IDatabase, *, table: str, actions: list[str]
) -> None:
    """No grant_* exists for the Data Catalog: the catalog, the database, its `table`."""
    stack = Stack.of(role)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=actions,
            resources=[
                stack.format_arn(service="glue", resource="catalog"),
                database.database_arn,
                stack.format_arn(
                    service="glue",
                    resource="table",
                    resource_name=f"{database.database_name}/{table}",
                ),
            ],
        )
    )


def _grant_glue_logs(role: iam.Role, kind: str) -> None:
    """Glue names its log groups itself (under /aws-glue/<kind>), so no grant_* reaches them."""
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:AssociateKmsKey",
            ],
            resources=[
                f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws-glue/{kind}*"
            ],
        )
    )
