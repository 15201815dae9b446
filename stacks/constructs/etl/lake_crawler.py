"""The crawler that keeps the Data Catalog's tables in step with the lake's folders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.etl.glue_grants import grant_catalog, grant_glue_logs

# Exactly the calls a crawler makes on the tables it discovers.
CRAWLER_CATALOG_ACTIONS = [
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
]


class LakeCrawler(Construct):
    """A read-only role and one crawler over `targets` (bucket -> folder = table name).

    `skipped_subfolders` (folder -> subfolders) keeps files of another format out of a
    table: a JSON Lines folder beside CSV channels would split it into several tables.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: glue.IDatabase,
        key: kms.IKey,
        security: glue.ISecurityConfiguration,
        targets: dict[s3.IBucket, str],
        skipped_subfolders: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Catalogs the processed, curated and quarantine layers",
        )
        for bucket, folder in targets.items():
            bucket.grant_read(self.role, f"{folder}/*")
        key.grant_decrypt(self.role)
        grant_glue_logs(self.role, "crawlers")
        grant_catalog(self.role, database, table="*", actions=CRAWLER_CATALOG_ACTIONS)
        self.crawler = glue.CfnCrawler(
            self,
            "Resource",
            role=self.role.role_arn,
            database_name=database.database_name,
            description="Catalogs the lake's review tables for Athena",
            crawler_security_configuration=security.security_configuration_name,
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=bucket.s3_url_for_object(f"{folder}/"),
                        exclusions=[
                            "**/_SUCCESS",
                            "**/*.crc",
                            *(f"{sub}/**" for sub in (skipped_subfolders or {}).get(folder, ())),
                        ],
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
