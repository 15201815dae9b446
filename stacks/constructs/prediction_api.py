"""REST API in front of the predict Lambda: validation, throttling, keys, logs, tracing."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from stacks.config import ServingConfig

API_STAGE = "v1"

# Errors API Gateway raises itself (validation, missing key, throttling) use the same
# JSON shape as the Lambda's: {"error": {"code": ..., "message": ...}}.
# `messageString` comes already quoted; `validationErrorString` does not.
_MESSAGE = "$context.error.messageString"
_VALIDATION_MESSAGE = '"$context.error.validationErrorString"'
_GATEWAY_ERRORS = {
    apigw.ResponseType.BAD_REQUEST_BODY: ("invalid_request", _VALIDATION_MESSAGE),
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: ("not_found", _MESSAGE),
    apigw.ResponseType.INVALID_API_KEY: ("forbidden", _MESSAGE),
    apigw.ResponseType.ACCESS_DENIED: ("forbidden", _MESSAGE),
    apigw.ResponseType.THROTTLED: ("throttled", _MESSAGE),
    apigw.ResponseType.QUOTA_EXCEEDED: ("quota_exceeded", _MESSAGE),
    apigw.ResponseType.REQUEST_TOO_LARGE: ("payload_too_large", _MESSAGE),
    apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE: ("unsupported_media_type", _MESSAGE),
    apigw.ResponseType.DEFAULT_4_XX: ("client_error", _MESSAGE),
    apigw.ResponseType.DEFAULT_5_XX: ("gateway_error", _MESSAGE),
}


def predict_request_schema() -> apigw.JsonSchema:
    """The body's shape, checked before the Lambda is billed for a request.

    Only structure: an object with a string `review` or an array of strings `reviews`.
    Emptiness, lengths and counts stay with the Lambda, which answers them with its
    precise codes (`empty_review`, 413 `review_too_long`, `too_many_reviews`), so the
    API's contract is the same in the cloud as in the local twin.
    """
    return apigw.JsonSchema(
        schema=apigw.JsonSchemaVersion.DRAFT4,
        title="PredictRequest",
        type=apigw.JsonSchemaType.OBJECT,
        properties={
            "review": apigw.JsonSchema(type=apigw.JsonSchemaType.STRING),
            "reviews": apigw.JsonSchema(
                type=apigw.JsonSchemaType.ARRAY,
                items=apigw.JsonSchema(type=apigw.JsonSchemaType.STRING),
            ),
        },
        one_of=[
            apigw.JsonSchema(required=["review"]),
            apigw.JsonSchema(required=["reviews"]),
        ],
        additional_properties=False,
    )


class PredictionApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        function: lambda_.IFunction,
        allowed_origin: str,
        key: kms.IKey,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention, encryption_key=key)
        iam_auth = config.auth == "iam"
        self.api = apigw.RestApi(
            self,
            "Api",
            description="Sentiment predictions for movie reviews",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=API_STAGE,
                throttling_rate_limit=config.throttle_rate_limit,
                throttling_burst_limit=config.throttle_burst_limit,
                logging_level=apigw.MethodLoggingLevel.INFO,
                # Request bodies hold user text: keep them out of execution logs.
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=[allowed_origin],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Content-Type", "X-Api-Key", "Authorization"],
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=(
                    apigw.AuthorizationType.IAM if iam_auth else apigw.AuthorizationType.NONE
                ),
                api_key_required=not iam_auth,
            ),
        )
        for response_type, (code, message) in _GATEWAY_ERRORS.items():
            self.api.add_gateway_response(
                f"Json{response_type.response_type}",
                type=response_type,
                response_headers={"Access-Control-Allow-Origin": f"'{allowed_origin}'"},
                templates={
                    "application/json": f'{{"error": {{"code": "{code}", "message": {message}}}}}'
                },
            )

        validator = apigw.RequestValidator(
            self,
            "BodyValidator",
            rest_api=self.api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        request_model = self.api.add_model(
            "PredictRequest",
            content_type="application/json",
            schema=predict_request_schema(),
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        self.predict_method = self.api.root.add_resource("predict").add_method(
            "POST",
            integration,
            request_validator=validator,
            request_models={"application/json": request_model},
        )
        self.health_method = self.api.root.add_resource("health").add_method("GET", integration)

        self.api_key: apigw.IApiKey | None = None
        if not iam_auth:
            self.api_key = self.api.add_api_key(
                "WebKey", description="Key for the web page and first callers"
            )
            plan = self.api.add_usage_plan(
                "UsagePlan",
                description="Throttle and daily quota for keyed callers",
                throttle=apigw.ThrottleSettings(
                    rate_limit=config.throttle_rate_limit,
                    burst_limit=config.throttle_burst_limit,
                ),
                quota=apigw.QuotaSettings(
                    limit=config.quota_requests_per_day, period=apigw.Period.DAY
                ),
                api_stages=[
                    apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)
                ],
            )
            plan.add_api_key(self.api_key)

        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf_enabled:
            self.web_acl = _web_acl(self, config.waf_rate_limit_per_5_minutes)
            wafv2.CfnWebACLAssociation(
                self,
                "WafAssociation",
                resource_arn=self.api.deployment_stage.stage_arn,
                web_acl_arn=self.web_acl.attr_arn,
            )

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        """For IAM auth: let a principal call the API's methods."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[self.api.arn_for_execute_api("*", "/*", "*")],
        )

    @property
    def url(self) -> str:
        return self.api.url


def _web_acl(scope: Construct, rate_limit: int) -> wafv2.CfnWebACL:
    """AWS managed common and bad-input rules plus a per-IP rate limit."""

    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        )

    def managed(
        priority: int, name: str, count_only: tuple[str, ...] = ()
    ) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in count_only
                    ]
                    or None,
                )
            ),
            visibility_config=visibility(name),
        )

    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(f"{Stack.of(scope).stack_name}-api"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name="RatePerIp",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=rate_limit, aggregate_key_type="IP"
                    )
                ),
                visibility_config=visibility("RatePerIp"),
            ),
            # The common set blocks bodies over 8 KB; a batch of long reviews is larger,
            # and the API's own validator and size limits govern bodies instead.
            managed(1, "AWSManagedRulesCommonRuleSet", count_only=("SizeRestrictions_BODY",)),
            managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
        ],
    )
