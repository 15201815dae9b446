"""REST API in front of the predict Lambda: validation, throttling, keys, logs, tracing."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from stacks.config import ServingConfig
from stacks.constructs.serving.api_protection import add_json_gateway_errors, regional_web_acl
from stacks.constructs.serving.request_model import predict_request_model_schema
from stacks.constructs.shared.retention import Retention
from stacks.constructs.shared.secure_log_group import secure_log_group

API_STAGE = "v1"


def _stage_options(config: ServingConfig, access_logs: apigw.IAccessLogDestination):
    return apigw.StageOptions(
        stage_name=API_STAGE,
        throttling_rate_limit=config.throttle_rate_limit,
        throttling_burst_limit=config.throttle_burst_limit,
        logging_level=apigw.MethodLoggingLevel.INFO,
        # Request bodies hold user text: keep them out of execution logs.
        data_trace_enabled=False,
        metrics_enabled=True,
        tracing_enabled=True,
        access_log_destination=access_logs,
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
        retention: Retention,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = secure_log_group(self, "AccessLogs", key=key, retention=retention)
        iam_auth = config.auth == "iam"
        self.api = apigw.RestApi(
            self,
            "Api",
            # Not unique in AWS, but it is the ApiName dimension of the API's metrics: a
            # per-stage name keeps two stages in one account out of each other's alarms.
            rest_api_name=f"{Stack.of(self).stack_name}-predict",
            description="Sentiment predictions for movie reviews",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-wide logging role belongs to the account stack (stacks/account.py).
            cloud_watch_role=False,
            deploy_options=_stage_options(config, apigw.LogGroupLogDestination(access_logs)),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=[allowed_origin],
                allow_methods=["GET", "POST", "OPTIONS"],
                # X-Target-Variant pins a request to a variant (serving.allow_target_variant).
                allow_headers=["Content-Type", "X-Api-Key", "Authorization", "X-Target-Variant"],
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=(
                    apigw.AuthorizationType.IAM if iam_auth else apigw.AuthorizationType.NONE
                ),
                api_key_required=not iam_auth,
            ),
        )
        add_json_gateway_errors(self.api, allowed_origin=allowed_origin)
        validator = apigw.RequestValidator(
            self,
            "BodyValidator",
            rest_api=self.api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        request_model = self.api.add_model(
            "PredictRequest", content_type="application/json", schema=predict_request_model_schema()
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        self.predict_method = self.api.root.add_resource("predict").add_method(
            "POST",
            integration,
            request_validator=validator,
            request_models={"application/json": request_model},
        )
        self.health_method = self.api.root.add_resource("health").add_method("GET", integration)
        # The served model's card (metrics, confusion matrix) for the page.
        self.model_method = self.api.root.add_resource("model").add_method("GET", integration)
        self.api_key = None if iam_auth else self._keyed_usage_plan(config)
        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf_enabled:
            self.web_acl = regional_web_acl(
                self, "WebAcl", rate_limit=config.waf_rate_limit_per_5_minutes
            )
            wafv2.CfnWebACLAssociation(
                self,
                "WafAssociation",
                resource_arn=self.api.deployment_stage.stage_arn,
                web_acl_arn=self.web_acl.attr_arn,
            )

    def _keyed_usage_plan(self, config: ServingConfig) -> apigw.IApiKey:
        """A key for the page and first callers, on a throttled plan with a daily quota."""
        api_key = self.api.add_api_key(
            "WebKey", description="Key for the web page and first callers"
        )
        plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Throttle and daily quota for keyed callers",
            throttle=apigw.ThrottleSettings(
                rate_limit=config.throttle_rate_limit, burst_limit=config.throttle_burst_limit
            ),
            quota=apigw.QuotaSettings(limit=config.quota_requests_per_day, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        plan.add_api_key(api_key)
        return api_key

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
