"""Named variants and a shadow: a model each, stable names, kept instance counts with
configured weights, scaling and alarms per variant, no guardrails where AWS has none."""

from __future__ import annotations

import copy
import json

import pytest
from machine_definitions import TRAINING_PIPELINE, machine_definition
from serving_stages import (
    CHALLENGER_PACKAGE,
    SHADOW,
    VARIANTS,
    assert_clean,
    only,
    serving_stage,
    stages_with,
)
from synth_support import synthesise

from cost.estimate import estimate
from stacks.config import ConfigError, stage_config


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    return serving_stage("variants", tmp_path_factory)


@pytest.fixture(scope="module")
def shadow(tmp_path_factory):
    return serving_stage("shadow", tmp_path_factory)


def _variants_by_name(config: dict, key: str = "ProductionVariants") -> dict[str, dict]:
    return {v["VariantName"]: v for v in config.get(key, [])}


def _model_of(template, variant: dict) -> dict:
    logical_id = variant["ModelName"]["Fn::GetAtt"][0]
    return template.find_resources("AWS::SageMaker::Model")[logical_id]["Properties"]


def test_each_variant_serves_its_own_model_with_the_stage_threshold(variants):
    template = variants.template("serving")
    _, config = only(template, "AWS::SageMaker::EndpointConfig")
    by_name = _variants_by_name(config)
    assert list(by_name) == [v["name"] for v in VARIANTS]
    champion = _model_of(template, by_name["champion"])["PrimaryContainer"]
    challenger = _model_of(template, by_name["challenger"])["PrimaryContainer"]
    # "bootstrap": the locally trained artifact; otherwise the registry package.
    assert "cdk-hnb659fds-assets" in json.dumps(champion["ModelDataUrl"])
    assert champion["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert challenger["ModelPackageName"] == CHALLENGER_PACKAGE
    for container in (champion, challenger):
        assert container["Environment"]["UNCERTAINTY_THRESHOLD"] == "0.8"


def test_variants_take_their_configured_weights_types_and_instances(variants):
    _, config = only(variants.template("serving"), "AWS::SageMaker::EndpointConfig")
    by_name = _variants_by_name(config)
    for wanted in VARIANTS:
        variant = by_name[wanted["name"]]
        assert variant["InitialVariantWeight"] == wanted["weight"]
        assert variant["InstanceType"] == wanted["instance_type"]
        assert variant["InitialInstanceCount"] == wanted["min_instances"]
    assert "ShadowProductionVariants" not in config
    assert config["DataCaptureConfig"]["EnableCapture"] is True


def test_endpoint_keeps_instance_counts_but_configured_weights_win(variants, prod):
    _, endpoint = only(variants.template("serving"), "AWS::SageMaker::Endpoint")
    assert endpoint["RetainAllVariantProperties"] is True
    excluded = [p["VariantPropertyType"] for p in endpoint["ExcludeRetainedVariantProperties"]]
    assert excluded == ["DesiredWeight", "DataCaptureConfig"]
    # AWS runs guardrail deployments only between configs with the same variant names.
    assert "DeploymentConfig" not in endpoint
    # The single variant keeps its blue/green guardrails and retains nothing.
    _, single = only(prod.template("serving"), "AWS::SageMaker::Endpoint")
    assert "BlueGreenUpdatePolicy" in single["DeploymentConfig"]
    assert "RetainAllVariantProperties" not in single


def test_each_variant_scales_within_its_own_range(variants):
    template = variants.template("serving")
    targets = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    ranges = {}
    for target in targets.values():
        props = target["Properties"]
        variant = json.dumps(props["ResourceId"]).rsplit("/variant/", 1)[1].split('"')[0]
        ranges[variant] = (props["MinCapacity"], props["MaxCapacity"])
    assert ranges == {v["name"]: (v["min_instances"], v["max_instances"]) for v in VARIANTS}
    assert len(template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")) == 2


def _alarms_by_variant(template) -> dict[tuple[str, str], dict]:
    found = {}
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        dimensions = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        if "VariantName" in dimensions:
            found[(dimensions["VariantName"], props["MetricName"])] = props
    return found


def _topic(stage) -> str:
    stack = stage.stack("notifications")
    return stack.get_logical_id(stack.outputs.topic.node.default_child)


def test_each_variant_has_its_own_alarms_on_the_topic(variants):
    alarms = _alarms_by_variant(variants.template("serving"))
    topic = _topic(variants)
    for variant in (v["name"] for v in VARIANTS):
        for metric, severity in (("Invocation5XXErrors", "SEV1"), ("ModelLatency", "SEV2")):
            alarm = alarms[(variant, metric)]
            assert alarm["AlarmDescription"].startswith(f"{severity}: ")
            assert f"/{variant}:" in alarm["AlarmDescription"]
            assert topic in json.dumps(alarm["AlarmActions"]), (variant, metric)
            assert topic in json.dumps(alarm["OKActions"]), (variant, metric)


def _composite_rule(stage) -> str:
    composites = stage.template("monitoring").find_resources("AWS::CloudWatch::CompositeAlarm")
    (composite,) = composites.values()
    return json.dumps(composite["Properties"]["AlarmRule"])


def test_prediction_path_joins_every_production_variant(variants):
    serving = variants.stack("serving")
    rule = _composite_rule(variants)
    for alarms in serving.outputs.variant_alarms:
        for alarm in (alarms.invocation_5xx, alarms.model_latency):
            assert serving.get_logical_id(alarm.node.default_child) in rule
    assert rule.count("ALARM(") == 2 + 2 * len(VARIANTS)


def test_lambda_may_pin_the_configured_variants(variants):
    stack = variants.stack("serving")
    logical_id = stack.get_logical_id(stack.outputs.function.node.default_child)
    function = variants.template("serving").find_resources("AWS::Lambda::Function")[logical_id]
    env = function["Properties"]["Environment"]["Variables"]
    assert env["BACKEND"] == "sagemaker"
    assert env["ALLOW_TARGET_VARIANT"] == "true"
    assert env["VARIANTS"] == "champion,challenger"
    champion, challenger = env["MODEL_VERSION"].split(",")
    assert champion.startswith("champion:bootstrap-")
    assert challenger == "challenger:package-9"


def test_shift_and_report_are_watched(variants):
    alarms = variants.template("monitoring").find_resources("AWS::CloudWatch::Alarm")
    names = {a["Properties"]["AlarmName"]: a["Properties"] for a in alarms.values()}
    prefix = f"{variants.config.project}-{variants.config.stage}-"
    outputs = variants.stack("serving").outputs
    serving = variants.stack("serving")
    shift = names[f"{prefix}TrafficShiftFailed"]
    assert shift["AlarmDescription"].startswith("SEV2: ")
    assert serving.get_logical_id(outputs.traffic_shift.node.default_child) in json.dumps(shift)
    # Named variants get the A/B report, and it is watched.
    assert outputs.ab_report is not None
    report = names[f"{prefix}AbReportErrors"]
    assert report["AlarmDescription"].startswith("SEV3: ")
    function = serving.get_logical_id(outputs.ab_report.node.default_child)
    assert function in json.dumps(report)


def test_variant_stages_pass_nag_and_cfn_lint(variants, shadow):
    assert_clean(variants)
    assert_clean(shadow)


def test_cost_counts_every_variants_instances(variants, shadow):
    idle = dict(estimate(variants.assembly_dir).idle)
    for variant in VARIANTS:
        count, kind = variant["min_instances"], variant["instance_type"]
        assert f"SageMaker endpoint {count} x {kind} ({variant['name']})" in idle
    shadow_idle = dict(estimate(shadow.assembly_dir).idle)
    assert f"SageMaker endpoint 1 x {SHADOW['instance_type']} ({SHADOW['name']})" in shadow_idle


def test_shadow_gets_a_sampled_copy_of_the_single_production_variant(shadow):
    template = shadow.template("serving")
    _, config = only(template, "AWS::SageMaker::EndpointConfig")
    (production,) = config["ProductionVariants"]
    (copy_of,) = config["ShadowProductionVariants"]
    assert production["VariantName"] == "AllTraffic"
    assert copy_of["VariantName"] == SHADOW["name"]
    assert copy_of["InstanceType"] == SHADOW["instance_type"]
    assert copy_of["InitialInstanceCount"] == SHADOW["instance_count"]
    # The share copied is the shadow's weight relative to production's.
    assert copy_of["InitialVariantWeight"] / production["InitialVariantWeight"] == pytest.approx(
        SHADOW["sampling_percent"] / 100
    )
    _, endpoint = only(template, "AWS::SageMaker::Endpoint")
    assert "DeploymentConfig" not in endpoint and endpoint["RetainAllVariantProperties"] is True
    # One production variant: nothing to shift traffic to; a fixed-size shadow.
    assert template.find_resources("AWS::StepFunctions::StateMachine") == {}
    (target,) = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert "/variant/AllTraffic" in json.dumps(target["Properties"]["ResourceId"])


def test_shadow_alarms_page_nobody(shadow):
    serving = shadow.stack("serving")
    (shadow_alarms,) = [a for a in serving.outputs.variant_alarms if a.shadow]
    rule = _composite_rule(shadow)
    assert rule.count("ALARM(") == 4  # API, Lambda, the production variant's two
    for alarm in shadow_alarms.alarms:
        assert serving.get_logical_id(alarm.node.default_child) not in rule
    described = _alarms_by_variant(shadow.template("serving"))
    of_shadow = [alarm for (variant, _), alarm in described.items() if variant == SHADOW["name"]]
    assert len(of_shadow) == len(shadow_alarms.alarms) >= 2
    assert all(alarm["AlarmDescription"].startswith("SEV3: ") for alarm in of_shadow)


def test_a_serverless_stage_refuses_variants_and_shadows():
    context = {"project": "reviews"}
    for serving in ({"variants": VARIANTS}, {"shadow": SHADOW}):
        stages = stages_with("dev", serving)
        assert stages["dev"].get("serving", {}).get("mode", "serverless") == "serverless"
        with pytest.raises(ConfigError, match="serverless"):
            stage_config({**context, "stages": stages}, "dev")


def test_a_bootstrap_variant_needs_the_bootstrap_model(tmp_path_factory):
    stages = stages_with("prod", {"variants": copy.deepcopy(VARIANTS)})
    with pytest.raises(ConfigError, match="bootstrap"):
        synthesise(
            "prod", tmp_path_factory.mktemp("cdk-no-bootstrap"), stages=stages, bootstrap_model=""
        )


def test_registered_packages_list_every_instance_type_a_variant_serves_on(variants, shadow):
    for stage, expected in (
        (variants, {v["instance_type"] for v in VARIANTS}),
        (shadow, {shadow.config.serving.instance_type, SHADOW["instance_type"]}),
    ):
        states = machine_definition(stage, "ml", TRAINING_PIPELINE)["States"]
        spec = states["RegisterModel"]["Parameters"]["InferenceSpecification"]
        assert set(spec["SupportedRealtimeInferenceInstanceTypes"]) >= expected
