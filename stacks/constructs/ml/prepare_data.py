"""Pipeline fragment: clean the raw data, refresh the catalog, start a quality check.

RunEtl (Glue, waits) -> RefreshCatalog (crawler) -> WaitForCatalog <-> CatalogState
until READY -> StartQualityCheck (started; results arrive as an EventBridge event that
the monitoring stack turns into an alarm, so training does not wait for them).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from lake_layout import PROCESSED_TABLE
from stacks.constructs.ml.steps import Steps
from stacks.outputs import Etl


class PrepareData(Steps):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        etl: Etl,
        database: glue.IDatabase,
        on_failure: sfn.IChainable,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        crawler_name = etl.crawler.ref
        crawler_arn = stack.format_arn(
            service="glue", resource="crawler", resource_name=crawler_name
        )

        run_etl = tasks.GlueStartJobRun(
            self,
            "RunEtl",
            glue_job_name=etl.job.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            result_selector={
                "run_id": sfn.JsonPath.string_at("$.Id"),
                "state": sfn.JsonPath.string_at("$.JobRunState"),
            },
            result_path="$.etl",
        )
        start_crawler = tasks.CallAwsService(
            self,
            "RefreshCatalog",
            service="glue",
            action="startCrawler",
            parameters={"Name": crawler_name},
            iam_resources=[crawler_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        wait_for_crawler = sfn.Wait(
            self, "WaitForCatalog", time=sfn.WaitTime.duration(Duration.seconds(30))
        )
        # A crawler already running (another trigger) is as good as one we started.
        start_crawler.add_catch(
            wait_for_crawler, errors=["Glue.CrawlerRunningException"], result_path="$.error"
        )
        crawler_state = tasks.CallAwsService(
            self,
            "CatalogState",
            service="glue",
            action="getCrawler",
            parameters={"Name": crawler_name},
            iam_resources=[crawler_arn],
            result_selector={"state": sfn.JsonPath.string_at("$.Crawler.State")},
            result_path="$.crawler",
        )
        self._check_quality = self._quality_check(etl, database)
        for task in (run_etl, start_crawler, crawler_state, self._check_quality):
            task.add_catch(on_failure, errors=["States.ALL"], result_path="$.error")

        catalog_ready = (
            sfn.Choice(self, "CatalogReady")
            .when(sfn.Condition.string_equals("$.crawler.state", "READY"), self._check_quality)
            .otherwise(wait_for_crawler)
        )
        wait_for_crawler.next(crawler_state).next(catalog_ready)
        run_etl.next(start_crawler).next(wait_for_crawler)
        self._bounds(run_etl, self._check_quality)

    def _quality_check(self, etl: Etl, database: glue.IDatabase) -> tasks.CallAwsService:
        ruleset_name = etl.ruleset.ruleset_name
        return tasks.CallAwsService(
            self,
            "StartQualityCheck",
            service="glue",
            action="startDataQualityRulesetEvaluationRun",
            parameters={
                "DataSource": {
                    "GlueTable": {
                        "DatabaseName": database.database_name,
                        "TableName": PROCESSED_TABLE,
                    }
                },
                "Role": etl.quality_role.role_arn,
                "RulesetNames": [ruleset_name],
            },
            iam_resources=[
                Stack.of(self).format_arn(
                    service="glue", resource="dataQualityRuleset", resource_name=ruleset_name
                )
            ],
            additional_iam_statements=[
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[etl.quality_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
                )
            ],
            result_selector={"run_id": sfn.JsonPath.string_at("$.RunId")},
            result_path="$.quality",
        )
