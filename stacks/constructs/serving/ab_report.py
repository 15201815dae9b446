"""The A/B report in the cloud: a Lambda the traffic shift, or an operator, invokes.

It compares the endpoint's variants over a time span from CloudWatch metrics
(`GetMetricData`) and, when the event names them (`labelled_results`: variant ->
`s3://<predictions bucket>/scored_reviews/run_date=.../run_id=.../`), labelled
batch-scoring results, which its role may only read. Its code lives in
`lambda/ab_report/` (`ab_report_handler.handler`). A stage deploys it when its endpoint
has two variants to compare, which every stage with a traffic shift has.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.shared.python_function import python_function
from stacks.source_paths import REPO_ROOT

AB_REPORT_LAMBDA = REPO_ROOT / "lambda" / "ab_report"
HANDLER = "ab_report_handler.handler"


class AbReport(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variants: tuple[str, ...],
        shadow: str | None,
        predictions: s3.IBucket,
        predictions_prefix: str,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role, self.function = python_function(
            self,
            role_description="A/B report: its log group, X-Ray, metric reads, scored reviews",
            description="Compares the endpoint's variants: metrics, labelled batch scores",
            source_dir=AB_REPORT_LAMBDA,
            handler=HANDLER,
            log_group=log_group,
            memory_size=512,
            # Metric queries over days of per-minute data and a scan of scored runs.
            timeout=Duration.minutes(5),
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "ENDPOINT_NAME": endpoint_name,
                # A shadow is compared with the production variant it copies.
                "VARIANTS": ",".join((*variants, shadow) if shadow else variants),
                **({"CHAMPION_VARIANT": variants[0]} if shadow else {}),
                "POWERTOOLS_SERVICE_NAME": "ab-report",
            },
        )
        # GetMetricData takes no resource ARN: it reads any metric the query names.
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["cloudwatch:GetMetricData"], resources=["*"])
        )
        # Read-only, and only the scored runs (the bucket's key decrypts them).
        predictions.grant_read(self.role, f"{predictions_prefix}/*")
