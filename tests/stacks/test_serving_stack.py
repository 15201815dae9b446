"""Serving: endpoint per stage, rollback, scaling, Lambda scope, API protection, page."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from stacks.constructs.serving.endpoint_alarms import SINGLE_VARIANT as VARIANT


def _only(template, resource_type: str) -> dict:
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))


def _predict_function(stage, template=None) -> dict:
    """The predict Lambda (the CDK adds helper functions beside it)."""
    stack = stage.stack("serving")
    template = template or stage.template("serving")
    logical_id = stack.get_logical_id(stack.outputs.function.node.default_child)
    return template.find_resources("AWS::Lambda::Function")[logical_id]["Properties"]


def test_dev_endpoint_is_serverless_without_capture_or_scaling(dev):
    template = dev.template("serving")
    serving = dev.config.serving
    config = _only(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": serving.serverless_memory_mb,
        "MaxConcurrency": serving.serverless_max_concurrency,
    }
    assert "InstanceType" not in variant
    assert "DataCaptureConfig" not in config
    assert template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget") == {}
    assert "DeploymentConfig" not in _only(template, "AWS::SageMaker::Endpoint")["Properties"]


def test_prod_endpoint_is_provisioned_encrypted_and_captures(prod):
    template = prod.template("serving")
    serving = prod.config.serving
    config = _only(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == serving.instance_type
    assert variant["InitialInstanceCount"] == serving.initial_instance_count
    assert variant["VariantName"] == VARIANT
    assert "DataKey" in json.dumps(config["KmsKeyId"])
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == serving.data_capture_percent
    assert [o["CaptureMode"] for o in capture["CaptureOptions"]] == ["Input", "Output"]
    assert "/data-capture" in json.dumps(capture["DestinationS3Uri"])


def test_prod_deploys_blue_green_and_rolls_back_on_endpoint_alarms(prod):
    template = prod.template("serving")
    endpoint = _only(template, "AWS::SageMaker::Endpoint")["Properties"]
    policy = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert policy["TrafficRoutingConfiguration"]["CanarySize"]["Value"] <= 50
    rollback = endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    watched = {alarms[a["AlarmName"]["Ref"]]["Properties"]["MetricName"] for a in rollback}
    assert watched == {"Invocation5XXErrors", "ModelLatency"}


def test_prod_scales_on_invocations_per_instance(prod):
    template = prod.template("serving")
    serving = prod.config.serving
    target = _only(template, "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert target["MinCapacity"] == serving.min_instance_count
    assert target["MaxCapacity"] == serving.max_instance_count
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint" in json.dumps(
        target["RoleARN"]
    )
    policy = _only(template, "AWS::ApplicationAutoScaling::ScalingPolicy")["Properties"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == serving.target_invocations_per_instance
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }


def test_model_and_config_have_no_fixed_names_and_endpoint_keeps_one(synthesised):
    for stage in synthesised.values():
        template = stage.template("serving")
        model = _only(template, "AWS::SageMaker::Model")["Properties"]
        assert "ModelName" not in model
        assert model["EnableNetworkIsolation"] is True
        assert (
            "EndpointConfigName"
            not in _only(template, "AWS::SageMaker::EndpointConfig")["Properties"]
        )
        endpoint = _only(template, "AWS::SageMaker::Endpoint")["Properties"]
        assert endpoint["EndpointName"] == f"{stage.config.stack_id('serving')}-sentiment"
        assert "Fn::GetAtt" in endpoint["EndpointConfigName"]


def test_bootstrap_model_serves_inference_py_from_the_sklearn_image(dev):
    model = _only(dev.template("serving"), "AWS::SageMaker::Model")["Properties"]
    container = model["PrimaryContainer"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    # Without serving.uncertainty_threshold the model's own threshold applies.
    assert "UNCERTAINTY_THRESHOLD" not in container["Environment"]
    assert "Fn::FindInMap" in json.dumps(container["Image"])
    assert "cdk-hnb659fds-assets" in json.dumps(container["ModelDataUrl"])


def test_a_model_package_replaces_the_bootstrap_artifact(tmp_path_factory):
    from synth_support import synthesise

    arn = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/reviews-dev-ml-sentiment/7"
    stage = synthesise("dev", tmp_path_factory.mktemp("cdk-package"), model_package_arn=arn)
    template = stage.template("serving")
    model = _only(template, "AWS::SageMaker::Model")["Properties"]
    assert model["PrimaryContainer"] == {"ModelPackageName": arn}
    function = _predict_function(stage)
    assert function["Environment"]["Variables"]["MODEL_VERSION"] == "package-7"


def test_lambda_runs_python_3_14_traced_with_stage_concurrency(dev, prod):
    for stage in (dev, prod):
        function = _predict_function(stage)
        assert function["Runtime"] == "python3.14"
        assert function["Handler"] == "handler.handler"
        assert function["TracingConfig"] == {"Mode": "Active"}
        variables = function["Environment"]["Variables"]
        assert variables["MAX_REVIEWS"] == str(stage.config.serving.max_reviews_per_request)
        assert "Sentiment" in json.dumps(variables["ENDPOINT_NAME"])
        assert "Fn::GetAtt" in json.dumps(variables["ENDPOINT_NAME"])
        assert variables["MODEL_VERSION"].startswith("bootstrap-")
        # The single variant; callers may not pin it unless the stage allows pinning.
        assert variables["BACKEND"] == "sagemaker"
        assert variables["VARIANTS"] == VARIANT
        assert variables["ALLOW_TARGET_VARIANT"] == "false"
        reserved = function.get("ReservedConcurrentExecutions")
        assert reserved == stage.config.serving.lambda_reserved_concurrency


def test_lambda_may_invoke_and_describe_this_endpoint_only(dev):
    template = dev.template("serving")
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for k, p in template.find_resources("AWS::IAM::Policy").items()
        if k.startswith("PredictRole")
    ]
    (statements,) = policies
    sagemaker = [s for s in statements if "sagemaker:InvokeEndpoint" in s["Action"]]
    assert len(sagemaker) == 1
    assert sorted(sagemaker[0]["Action"]) == [
        "sagemaker:DescribeEndpoint",
        "sagemaker:InvokeEndpoint",
    ]
    resource = json.dumps(sagemaker[0]["Resource"])
    assert resource.endswith(f':endpoint/{dev.config.stack_id("serving")}-sentiment"]]}}')
    assert not any(
        s["Action"] == "*" or s.get("Resource") == "*" and "sagemaker" in json.dumps(s)
        for s in statements
    )


def test_predict_requires_a_key_and_a_valid_body(dev):
    template = dev.template("serving")
    methods = template.find_resources(
        "AWS::ApiGateway::Method", {"Properties": {"HttpMethod": "POST"}}
    )
    (post,) = methods.values()
    props = post["Properties"]
    assert props["ApiKeyRequired"] is True
    assert "RequestValidatorId" in props
    assert "application/json" in props["RequestModels"]
    validator = _only(template, "AWS::ApiGateway::RequestValidator")["Properties"]
    assert validator["ValidateRequestBody"] is True
    model = _only(template, "AWS::ApiGateway::Model")["Properties"]
    schema = model["Schema"]
    assert schema["properties"]["reviews"] == {"type": "array", "items": {"type": "string"}}
    assert schema["properties"]["review"] == {"type": "string"}
    assert schema["oneOf"] == [{"required": ["review"]}, {"required": ["reviews"]}]
    assert schema["additionalProperties"] is False
    # limits stay with the Lambda so it can answer 413 / too_many_reviews itself
    assert "maxItems" not in schema["properties"]["reviews"]
    get = template.find_resources("AWS::ApiGateway::Method", {"Properties": {"HttpMethod": "GET"}})
    assert all(m["Properties"]["ApiKeyRequired"] is True for m in get.values())


def test_usage_plan_throttles_and_caps_per_stage(synthesised):
    for stage in synthesised.values():
        serving = stage.config.serving
        plan = _only(stage.template("serving"), "AWS::ApiGateway::UsagePlan")["Properties"]
        assert plan["Throttle"] == {
            "RateLimit": serving.throttle_rate_limit,
            "BurstLimit": serving.throttle_burst_limit,
        }
        assert plan["Quota"] == {"Limit": serving.quota_requests_per_day, "Period": "DAY"}
        _only(stage.template("serving"), "AWS::ApiGateway::UsagePlanKey")


def test_stage_logs_json_access_logs_traces_and_throttles(dev):
    stage_props = _only(dev.template("serving"), "AWS::ApiGateway::Stage")["Properties"]
    assert stage_props["TracingEnabled"] is True
    assert stage_props["AccessLogSetting"]["Format"].startswith("{")
    (settings,) = stage_props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == dev.config.serving.throttle_rate_limit
    assert settings["DataTraceEnabled"] is False
    assert settings["LoggingLevel"] == "INFO"


def test_gateway_errors_are_json_with_the_api_error_shape(dev):
    responses = dev.template("serving").find_resources("AWS::ApiGateway::GatewayResponse")
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses.values()}
    template = by_type["BAD_REQUEST_BODY"]["ResponseTemplates"]["application/json"]
    assert template.startswith('{"error": {"code": "invalid_request"')
    assert "validationErrorString" in template
    assert {"THROTTLED", "QUOTA_EXCEEDED", "INVALID_API_KEY", "DEFAULT_5XX"} <= set(by_type)


def test_cors_allows_only_the_page_origin(dev):
    options = dev.template("serving").find_resources(
        "AWS::ApiGateway::Method", {"Properties": {"HttpMethod": "OPTIONS"}}
    )
    assert options
    for method in options.values():
        headers = method["Properties"]["Integration"]["IntegrationResponses"][0][
            "ResponseParameters"
        ]
        origin = json.dumps(headers["method.response.header.Access-Control-Allow-Origin"])
        assert "Cdn" in origin and "*" not in origin


def test_waf_protects_prod_only(dev, prod):
    assert dev.template("serving").find_resources("AWS::WAFv2::WebACL") == {}
    acl = _only(prod.template("serving"), "AWS::WAFv2::WebACL")["Properties"]
    rate = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate[0]["Statement"]["RateBasedStatement"]["Limit"] == (
        prod.config.serving.waf_rate_limit_per_5_minutes
    )
    _only(prod.template("serving"), "AWS::WAFv2::WebACLAssociation")


def test_page_is_private_behind_cloudfront_with_https(dev):
    template = dev.template("serving")
    distribution = _only(template, "AWS::CloudFront::Distribution")["Properties"][
        "DistributionConfig"
    ]
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["DefaultRootObject"] == "index.html"
    assert "OriginAccessControlId" in json.dumps(distribution["Origins"])
    assert "Logging" in distribution
    _only(template, "AWS::CloudFront::OriginAccessControl")
    template.has_resource_properties(
        "Custom::CDKBucketDeployment", {"DistributionPaths": ["/*"], "Prune": True}
    )
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {"PublicAccessBlockConfiguration": Match.object_like({"BlockPublicPolicy": True})},
    )


def test_a_stage_without_a_model_deploys_the_api_and_no_endpoint(tmp_path_factory):
    """A fresh clone synthesises with no trained model: nothing to serve yet, so no
    endpoint, no model role, and a Lambda that answers 503 endpoint_unavailable."""
    from synth_support import synthesise

    stage = synthesise("prod", tmp_path_factory.mktemp("cdk-no-model"), bootstrap_model="")
    serving = stage.template("serving")
    for resource_type in ("AWS::SageMaker::Model", "AWS::SageMaker::Endpoint"):
        assert serving.find_resources(resource_type) == {}
    function = _predict_function(stage, serving)
    assert "ENDPOINT_NAME" not in function["Environment"]["Variables"]
    assert "sagemaker:" not in json.dumps(serving.find_resources("AWS::IAM::Policy"))
    assert "EndpointName" not in serving.to_json().get("Outputs", {})
    monitoring = stage.template("monitoring").to_json()["Resources"]
    alarms = [r for r in monitoring.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms and "AWS/SageMaker" not in json.dumps(alarms)
    (composite,) = [
        r for r in monitoring.values() if r["Type"] == "AWS::CloudWatch::CompositeAlarm"
    ]
    assert json.dumps(composite["Properties"]["AlarmRule"]).count("ALARM(") == 2
    assert composite["Properties"]["AlarmDescription"] == (
        "SEV1: the prediction path is unhealthy: API 5xx or Lambda errors"
    )


def test_the_api_serves_the_model_card_and_lets_browsers_send_the_pinning_header(dev):
    template = dev.template("serving")
    paths = {
        r["Properties"]["PathPart"]
        for r in template.find_resources("AWS::ApiGateway::Resource").values()
    }
    assert {"predict", "health", "model"} <= paths
    options = [
        m["Properties"]
        for m in template.find_resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    assert options and all(
        "X-Target-Variant" in json.dumps(m["Integration"]["IntegrationResponses"]) for m in options
    )
