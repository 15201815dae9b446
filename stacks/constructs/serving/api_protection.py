"""What guards the REST API besides its validator: JSON gateway errors and a WAF web ACL."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

# Errors API Gateway raises itself (validation, missing key, throttling) use the same
# JSON shape as the Lambda's: {"error": {"code": ..., "message": ...}}.
# `messageString` comes already quoted; `validationErrorString` does not.
_MESSAGE = "$context.error.messageString"
_VALIDATION_MESSAGE = '"$context.error.validationErrorString"'
GATEWAY_ERRORS = {
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


def add_json_gateway_errors(api: apigw.RestApi, *, allowed_origin: str) -> None:
    for response_type, (code, message) in GATEWAY_ERRORS.items():
        api.add_gateway_response(
            f"Json{response_type.response_type}",
            type=response_type,
            response_headers={"Access-Control-Allow-Origin": f"'{allowed_origin}'"},
            templates={
                "application/json": f'{{"error": {{"code": "{code}", "message": {message}}}}}'
            },
        )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _managed_rules(
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
        visibility_config=_visibility(name),
    )


def regional_web_acl(scope: Construct, construct_id: str, *, rate_limit: int) -> wafv2.CfnWebACL:
    """AWS managed common and bad-input rules plus a per-IP rate limit."""
    return wafv2.CfnWebACL(
        scope,
        construct_id,
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(f"{Stack.of(scope).stack_name}-api"),
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
                visibility_config=_visibility("RatePerIp"),
            ),
            # The common set blocks bodies over 8 KB; a batch of long reviews is larger,
            # and the API's own validator and size limits govern bodies instead.
            _managed_rules(
                1, "AWSManagedRulesCommonRuleSet", count_only=("SizeRestrictions_BODY",)
            ),
            _managed_rules(2, "AWSManagedRulesKnownBadInputsRuleSet"),
        ],
    )
