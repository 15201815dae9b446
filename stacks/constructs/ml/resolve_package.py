"""Batch scoring fragment: read the request, then find the model package to score with.

ApplyDefaults -> ReadRequest -> ValidRequest -> PackageGiven: the request's
`model_package_arn`, or LatestApproved (the newest Approved package of the group, by
creation time) -> HasApproved. The package ARN ends up in `$.package.arn`; a request
without an s3:// `input_prefix`, or a group without an approved package, sets `$.error`
and goes to the failure path.
"""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constructs.ml.steps import Steps
from stacks.constructs.ml.transform_job import REQUEST_DEFAULTS


def _failure(scope: Construct, construct_id: str, error: str, cause: str) -> sfn.Pass:
    """Put an error where the failure notice reads it ($.error), as a Catch would."""
    return sfn.Pass(
        scope,
        construct_id,
        result=sfn.Result.from_object({"Error": error, "Cause": cause}),
        result_path="$.error",
    )


class ResolvePackage(Steps):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group: sagemaker.CfnModelPackageGroup,
        on_failure: sfn.IChainable,
    ) -> None:
        super().__init__(scope, construct_id)
        defaults = sfn.Pass(
            self,
            "ApplyDefaults",
            parameters={"defaults": REQUEST_DEFAULTS, "given": sfn.JsonPath.entire_payload},
        )
        read = sfn.Pass(
            self,
            "ReadRequest",
            parameters={
                "request": sfn.JsonPath.json_merge(
                    sfn.JsonPath.object_at("$.defaults"), sfn.JsonPath.object_at("$.given")
                )
            },
        )
        given = sfn.Pass(
            self,
            "UseGivenPackage",
            parameters={"arn": sfn.JsonPath.string_at("$.request.model_package_arn")},
            result_path="$.package",
        )
        use_latest = sfn.Pass(
            self,
            "UseLatestPackage",
            parameters={"arn": sfn.JsonPath.string_at("$.latest.packages[0].ModelPackageArn")},
            result_path="$.package",
        )
        latest = self._latest_approved(group)
        latest.add_catch(on_failure, errors=["States.ALL"], result_path="$.error")
        has_approved = (
            sfn.Choice(self, "HasApproved")
            .when(sfn.Condition.is_present("$.latest.packages[0]"), use_latest)
            .otherwise(
                _failure(
                    self,
                    "NoApprovedPackage",
                    "NoApprovedPackage",
                    "The model package group has no Approved package; approve one or pass "
                    "model_package_arn.",
                ).next(on_failure)
            )
        )
        package_given = (
            sfn.Choice(self, "PackageGiven")
            .when(sfn.Condition.is_present("$.request.model_package_arn"), given)
            .otherwise(latest.next(has_approved))
        )
        valid = (
            sfn.Choice(self, "ValidRequest")
            .when(sfn.Condition.string_matches("$.request.input_prefix", "s3://*"), package_given)
            .otherwise(
                _failure(
                    self,
                    "InvalidRequest",
                    "InvalidRequest",
                    'Start with {"input_prefix": "s3://...", "model_package_arn": optional, '
                    '"compression": "Gzip" (default) or "None"}.',
                ).next(on_failure)
            )
        )
        defaults.next(read).next(valid)
        self._bounds(defaults, given, use_latest)

    def _latest_approved(self, group: sagemaker.CfnModelPackageGroup) -> tasks.CallAwsService:
        return tasks.CallAwsService(
            self,
            "LatestApproved",
            service="sagemaker",
            action="listModelPackages",
            parameters={
                "ModelPackageGroupName": group.model_package_group_name,
                "ModelApprovalStatus": "Approved",
                "SortBy": "CreationTime",
                "SortOrder": "Descending",
                "MaxResults": 1,
            },
            # A list action: IAM has no resource to scope it to (the group is a parameter).
            iam_resources=["*"],
            iam_action="sagemaker:ListModelPackages",
            result_selector={"packages": sfn.JsonPath.list_at("$.ModelPackageSummaryList")},
            result_path="$.latest",
        )
