"""The gated traffic shift: refuses unknown variants, moves weights in the configured
steps, watches the target's alarms every minute, puts the old weights back on ALARM,
reports and notifies; IAM on exactly the endpoint, the gate's alarms and the topic."""

from __future__ import annotations

import json

import pytest
from serving_stages import VARIANTS, actions, role_statements, serving_stage
from template_graph import StageGraph

from stacks.constructs.serving import ab_report
from stacks.constructs.serving.traffic_shift import step_weights


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    return serving_stage("variants", tmp_path_factory)


def _render(value) -> str:
    """A DefinitionString part: literal text, or the logical id a token points at."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return value["Ref"]
    if "Fn::GetAtt" in value:
        return ".".join(value["Fn::GetAtt"])
    return "TOKEN"


def _definition(stage) -> dict:
    (machine,) = (
        stage.template("serving").find_resources("AWS::StepFunctions::StateMachine").values()
    )
    body = machine["Properties"]["DefinitionString"]
    return json.loads("".join(_render(p) for p in body["Fn::Join"][1]))


@pytest.fixture(scope="module")
def states(variants) -> dict:
    return _definition(variants)["States"]


@pytest.fixture(scope="module")
def step(states) -> dict:
    return states["ShiftInSteps"]["ItemProcessor"]["States"]


def _logical_id(stage, construct) -> str:
    stack = stage.stack("serving")
    return stack.get_logical_id(construct.node.default_child)


def _gate_alarms(stage, variant: str) -> list:
    alarms = next(
        a for a in stage.stack("serving").outputs.variant_alarms if a.variant_name == variant
    )
    return [alarms.invocation_5xx, alarms.model_latency]


def test_an_unknown_or_missing_variant_is_refused(variants, states):
    choose = states["ChooseVariant"]
    assert _definition(variants)["StartAt"] == "ChooseVariant"
    missing, *known = choose["Choices"]
    assert missing == {
        "Not": {"Variable": "$.variant", "IsPresent": True},
        "Next": "UnknownVariant",
    }
    assert {c["StringEquals"]: c["Next"] for c in known} == {
        v["name"]: f"Plan-{v['name']}" for v in VARIANTS
    }
    assert choose["Default"] == "UnknownVariant"
    refusal = states["UnknownVariant"]
    assert refusal["Type"] == "Fail" and refusal["Error"] == "UnknownVariant"
    assert all(v["name"] in refusal["Cause"] for v in VARIANTS)


def test_steps_follow_the_configured_percentages(variants, states):
    steps = variants.config.serving.traffic_shift.steps_percent
    plan = states["Plan-challenger"]["Result"]
    assert [s["percent"] for s in plan["steps"]] == list(steps)
    for entry in plan["steps"]:
        weights = {w["VariantName"]: w["DesiredWeight"] for w in entry["weights"]}
        assert weights == {"challenger": entry["percent"], "champion": 100 - entry["percent"]}
    shift = states["ShiftInSteps"]
    assert shift["Type"] == "Map" and shift["ItemsPath"] == "$.plan.steps"
    # One step after another, never in parallel.
    assert shift["MaxConcurrency"] == 1


def test_each_step_sets_the_weights_then_waits_for_the_update(step):
    set_weights = step["SetWeights"]
    assert set_weights["Resource"].endswith(
        ":states:::aws-sdk:sagemaker:updateEndpointWeightsAndCapacities"
    )
    assert set_weights["Parameters"]["DesiredWeightsAndCapacities.$"] == "$.step.weights"
    in_service, busy = step["UpdateDone"]["Choices"]
    assert (in_service["StringEquals"], in_service["Next"]) == ("InService", "StartWatch")
    assert {c["StringEquals"] for c in busy["Or"]} == {"Updating", "SystemUpdating"}
    assert busy["Next"] == "WaitForUpdate"
    assert step[step["UpdateDone"]["Default"]]["Type"] == "Fail"


def test_the_gate_reads_the_targets_alarms_every_minute_of_the_wait(variants, states, step):
    wait_minutes = variants.config.serving.traffic_shift.wait_minutes
    for variant in (v["name"] for v in VARIANTS):
        plan = states[f"Plan-{variant}"]["Result"]
        assert plan["alarms"] == [_logical_id(variants, a) for a in _gate_alarms(variants, variant)]
    assert step["WatchMinute"] == {"Type": "Wait", "Seconds": 60, "Next": "CheckAlarms"}
    check = step["CheckAlarms"]
    assert check["Resource"].endswith(":states:::aws-sdk:cloudwatch:describeAlarms")
    assert check["Parameters"] == {"AlarmNames.$": "$.alarms", "StateValue": "ALARM"}
    alarming, waited = step["AlarmGate"]["Choices"]
    assert alarming == {
        "Variable": "$.check.alarming[0]",
        "IsPresent": True,
        "Next": "VariantAlarm",
    }
    assert waited["NumericGreaterThanEquals"] == wait_minutes - 1
    assert step[waited["Next"]]["Type"] == "Succeed"
    assert step["AlarmGate"]["Default"] == "NextMinute"
    assert step["NextMinute"]["Next"] == "WatchMinute"
    assert step["VariantAlarm"]["Error"] == "VariantInAlarm"


def test_any_failure_puts_the_remembered_weights_back_and_notifies(states):
    remember = states["RememberWeights"]
    assert remember["ItemsPath"] == "$.endpoint.variants"
    assert remember["ItemSelector"]["DesiredWeight.$"] == "$$.Map.Item.Value.CurrentWeight"
    (catch,) = states["ShiftInSteps"]["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "RestoreWeights"
    restore = states["RestoreWeights"]
    assert restore["Parameters"]["DesiredWeightsAndCapacities.$"] == "$.previous_weights"
    assert restore["Retry"][0]["MaxAttempts"] >= 5
    path, name = [], "RestoreWeights"
    while "Next" in states[name]:
        name = states[name]["Next"]
        path.append(name)
    assert path[-2:] == ["NotifyRolledBack", "ShiftRolledBack"]
    assert states["NotifyRolledBack"]["Resource"].endswith(":states:::sns:publish")
    assert states["ShiftRolledBack"]["Type"] == "Fail"
    (restore_failed,) = restore["Catch"]
    assert states[restore_failed["Next"]]["Next"] == "RestoreFailed"


def test_a_finished_shift_reports_and_notifies(variants, states):
    path, name = [], "ShiftInSteps"
    while "Next" in states[name]:
        name = states[name]["Next"]
        path.append(name)
    assert path[-2:] == ["NotifyShifted", "Shifted"]
    message = states["NotifyShifted"]["Parameters"]["Message"]
    assert "cdk.json" in message["next"]
    assert variants.stack("serving").outputs.ab_report is not None
    assert path == ["ReportAfterShift", "NotifyShifted", "Shifted"]
    report = states["ReportAfterShift"]
    assert report["Parameters"]["Payload.$"] == "$.plan.report"
    # A failed report never changes the outcome of the shift.
    assert report["Catch"][0]["Next"] == "NotifyShifted"
    assert states["Plan-challenger"]["Result"]["report"]["champion"] == "champion"


def test_the_machine_may_touch_only_its_endpoint_gate_alarms_topic_and_report(variants):
    template = variants.template("serving")
    statements = role_statements(template, "TrafficShiftStateMachineRole")
    endpoint = f":endpoint/{variants.config.stack_id('serving')}-sentiment"
    by_service: dict[str, list[dict]] = {}
    for statement in statements:
        for action in actions(statement):
            by_service.setdefault(action.split(":")[0], []).append(statement)
    sagemaker = {a.lower() for s in by_service["sagemaker"] for a in actions(s)}
    assert sagemaker == {
        "sagemaker:describeendpoint",
        "sagemaker:updateendpointweightsandcapacities",
    }
    for statement in by_service["sagemaker"]:
        assert json.dumps(statement["Resource"]).endswith(f'{endpoint}"]]}}')
    (describe_alarms,) = by_service["cloudwatch"]
    assert actions(describe_alarms) == ["cloudwatch:describeAlarms"]
    gate = {
        _logical_id(variants, alarm)
        for v in VARIANTS
        for alarm in _gate_alarms(variants, v["name"])
    }
    assert {r["Fn::GetAtt"][0] for r in describe_alarms["Resource"]} == gate
    (publish,) = by_service["sns"]
    assert "Topic" in json.dumps(publish["Resource"]) and actions(publish) == ["sns:Publish"]
    # The topic is encrypted: publishing needs its key.
    assert any("TopicKey" in json.dumps(s["Resource"]) for s in by_service["kms"])
    # The shift runs the A/B report when it ends, so it may invoke that function alone.
    (invoke,) = by_service["lambda"]
    assert {a.lower() for a in actions(invoke)} == {"lambda:invokefunction"}
    assert "AbReportFunction" in json.dumps(invoke["Resource"])
    wildcard = [a for s in statements if s["Resource"] == "*" for a in actions(s)]
    assert all(a.split(":")[0] in {"logs", "xray"} for a in wildcard), wildcard


def test_the_machine_logs_everything_and_traces(variants):
    (machine,) = (
        variants.template("serving").find_resources("AWS::StepFunctions::StateMachine").values()
    )
    props = machine["Properties"]
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_report_reads_metrics_and_only_the_scored_runs(variants):
    outputs = variants.stack("serving").outputs
    assert outputs.ab_report is not None, "a stage with variants deploys the A/B report"
    template = variants.template("serving")
    function = template.find_resources("AWS::Lambda::Function")[
        _logical_id(variants, outputs.ab_report)
    ]
    props = function["Properties"]
    assert props["Handler"] == ab_report.HANDLER
    assert props["Environment"]["Variables"]["VARIANTS"] == "champion,challenger"
    statements = role_statements(template, "AbReportRole")
    unscoped = [a for s in statements if s["Resource"] == "*" for a in actions(s)]
    assert "cloudwatch:GetMetricData" in unscoped
    # GetMetricData and X-Ray take no resource ARNs; nothing else gets "*".
    assert {a for a in unscoped if not a.startswith("xray:")} == {"cloudwatch:GetMetricData"}
    s3 = [s for s in statements if any(a.startswith("s3:") for a in actions(s))]
    assert s3 and not any(
        a.startswith(("s3:Put", "s3:Delete", "s3:Abort")) for s in s3 for a in actions(s)
    )
    for statement in s3:
        resources = json.dumps(statement["Resource"])
        assert "PredictionsBucket" in resources
        if "s3:GetObject*" in actions(statement):
            assert "/scored_reviews/*" in resources


def test_the_other_variants_share_the_rest_as_configured():
    weights = step_weights({"a": 3.0, "b": 1.0, "target": 0.0}, "target", 20)
    assert weights == [
        {"VariantName": "a", "DesiredWeight": 60.0},
        {"VariantName": "b", "DesiredWeight": 20.0},
        {"VariantName": "target", "DesiredWeight": 20},
    ]
    # Others configured at zero share the rest equally.
    even = step_weights({"a": 0.0, "b": 0.0, "target": 1.0}, "target", 50)
    assert [w["DesiredWeight"] for w in even] == [25.0, 25.0, 50]


def test_the_machine_can_use_the_topics_key_it_publishes_with(variants):
    # The walk of test_encryption_access, on the stage that has a traffic shift.
    graph = StageGraph(variants.assembly_dir)
    (topic_id,) = [(stack, lid) for stack, lid, _ in graph.resources("AWS::SNS::Topic")]
    topic = graph.resource(topic_id)
    key = graph.target(topic["Properties"]["KmsMasterKeyId"], topic_id[0])
    assert key is not None
    (role,) = [
        (stack, lid)
        for stack, lid, _ in graph.resources("AWS::IAM::Role")
        if lid.startswith("TrafficShiftStateMachineRole")
    ]
    statements = graph.role_statements(role)
    assert any(graph.covers(s, "sns:Publish", topic_id) for s in statements)
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert any(graph.covers(s, action, key) for s in statements), action
