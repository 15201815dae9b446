"""Batch scoring: a state machine that scores a JSON Lines prefix with a registry model.

Start it with `{"input_prefix": "s3://...", "model_package_arn": optional,
"compression": "Gzip" | "None" (default Gzip)}`; with `batch.schedule` set, EventBridge
starts it on that schedule with the ETL's scoring channel. ResolvePackage (the given
package or the newest Approved one) -> ScoreBatch (model, Transform, clean-up) ->
RegisterPredictions (the run's partition) -> NotifyScored. Every failure notifies the
topic and fails the execution; the monitoring stack alarms on failed and timed-out runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from lake_layout import CURATED_TABLE, PREDICTIONS_TABLE, SCORING_CHANNEL
from stacks.config import BatchConfig
from stacks.constructs.ml.logged_machine import logged_state_machine
from stacks.constructs.ml.pipeline_notice import failure_notice, notice
from stacks.constructs.ml.register_predictions import RegisterPredictions
from stacks.constructs.ml.resolve_package import ResolvePackage
from stacks.constructs.ml.score_batch import ScoreBatch
from stacks.constructs.ml.scored_reviews import ScoredReviews
from stacks.constructs.ml.transform_role import transform_model_role
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.sklearn_image import SklearnImage
from stacks.outputs import DataLake

# Room for the steps around the transform (model, partition, notices).
_MACHINE_MARGIN_MINUTES = 30


class BatchScoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BatchConfig,
        lake: DataLake,
        image: SklearnImage,
        group: sagemaker.CfnModelPackageGroup,
        topic: sns.ITopic,
        retention: Retention,
        environment: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        buckets = lake.buckets
        self.model_role = transform_model_role(self, "ModelRole", lake=lake, image=image)
        self.table = ScoredReviews(
            self,
            "ScoredReviews",
            database=lake.database,
            workgroup=lake.workgroup,
            bucket=buckets.predictions,
        ).table
        on_failure = failure_notice(
            self,
            topic=topic,
            subject="Batch scoring failed",
            fail_state="ScoringFailed",
            error="BatchScoringFailed",
        )
        score = ScoreBatch(
            self,
            "Score",
            config=config,
            model_role=self.model_role,
            output_uri=buckets.predictions.s3_url_for_object(f"{PREDICTIONS_TABLE}/"),
            key_arn=lake.key.key_arn,
            environment=environment,
            tags=tags,
            on_failure=on_failure,
        )
        register = RegisterPredictions(
            self, "Register", table=self.table, workgroup=lake.workgroup, on_failure=on_failure
        )
        definition = (
            ResolvePackage(self, "Resolve", group=group, on_failure=on_failure)
            .next(score)
            .next(register)
            .next(self._scored_notice(topic))
            .next(sfn.Succeed(self, "Scored"))
        )
        self.state_machine = logged_state_machine(
            self,
            definition=definition,
            comment="Approved model -> Batch Transform -> scored_reviews partition -> notify",
            timeout=Duration.minutes(config.timeout_minutes + _MACHINE_MARGIN_MINUTES),
            key=lake.key,
            retention=retention,
        )
        role = self.state_machine.role
        score.grant_to(role)
        register.grant_to(role, results=buckets.athena_results, key=lake.key)
        # The topic is KMS-encrypted: sns:Publish alone fails without its key.
        topic.grant_publish(role)
        self.scoring_channel_uri = buckets.curated.s3_url_for_object(
            f"{CURATED_TABLE}/{SCORING_CHANNEL}/"
        )
        if config.schedule:
            self._schedule(config.schedule)

    def _schedule(self, expression: str) -> events.Rule:
        return events.Rule(
            self,
            "Scheduled",
            description="Scores the ETL's scoring channel on the stage's schedule",
            schedule=events.Schedule.expression(expression),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object(
                        {"input_prefix": self.scoring_channel_uri, "compression": "Gzip"}
                    ),
                )
            ],
        )

    def _scored_notice(self, topic: sns.ITopic) -> sfn.IChainable:
        return notice(
            self,
            "NotifyScored",
            topic=topic,
            subject="Batch scoring finished",
            fields={
                "run_id": sfn.JsonPath.string_at("$.run.id"),
                "predictions": sfn.JsonPath.string_at("$.run.output_uri"),
                "model_package": sfn.JsonPath.string_at("$.package.arn"),
                "transform_job": sfn.JsonPath.string_at("$.transform.job"),
                "table": PREDICTIONS_TABLE,
            },
        )
