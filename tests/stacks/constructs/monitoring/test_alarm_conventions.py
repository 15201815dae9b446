"""Alarm conventions: names, severities, actions and missing data, whoever builds the alarm."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_glue as glue
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from stacks.constructs.monitoring.alarm_conventions import AlarmStyle, alarm_facade, notify
from stacks.constructs.monitoring.pipeline_watch import watch_etl, watch_training

STYLE = AlarmStyle(name_prefix="proj-stage", period=Duration.minutes(5), evaluation_periods=3)


def test_sustained_and_immediate_options():
    sustained = STYLE.options("Slow", "SEV2", "it is slow")
    assert sustained["alarm_name_override"] == "proj-stage-Slow"
    assert sustained["alarm_description_override"] == "SEV2: it is slow"
    assert (sustained["evaluation_periods"], sustained["datapoints_to_alarm"]) == (3, 3)
    assert sustained["comparison_operator_override"].name == "GREATER_THAN_THRESHOLD"
    immediate = STYLE.options("Failed", "SEV1", "it failed", at_least=True, immediate=True)
    assert (immediate["evaluation_periods"], immediate["datapoints_to_alarm"]) == (1, 1)
    assert immediate["comparison_operator_override"].name == "GREATER_THAN_OR_EQUAL_TO_THRESHOLD"
    assert immediate["custom_tags"] == ["SEV1"]


def test_facade_alarms_follow_the_conventions_and_draw_no_dashboard(stack):
    topic = sns.Topic(stack, "Topic")
    facade = alarm_facade(stack, "Alarms", style=STYLE, topic=topic)
    machine = sfn.StateMachine.from_state_machine_name(stack, "Machine", "machine")
    row = watch_training(facade, style=STYLE, state_machine=machine, failed_executions=2)
    assert row.title == "Train" and row.widgets
    assert {a.alarm_name for a in facade.created_alarms()} == {
        "proj-stage-PipelineFailed",
        "proj-stage-PipelineTimedOut",
    }
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    topic_id = stack.get_logical_id(topic.node.default_child)
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    by_name = {a["Properties"]["AlarmName"]: a["Properties"] for a in alarms.values()}
    failed = by_name["proj-stage-PipelineFailed"]
    assert failed["Threshold"] == 2
    assert failed["AlarmDescription"].startswith("SEV2: ")
    assert failed["TreatMissingData"] == "notBreaching"
    assert failed["AlarmActions"] == failed["OKActions"] == [{"Ref": topic_id}]
    assert failed["Metrics"][0]["MetricStat"]["Period"] == 300


def test_glue_job_without_a_physical_name_is_watched_through_the_l2_rules(stack):
    # The library's Glue module needs a literal job name; the L2's state rules do not.
    job = glue.Job.from_job_attributes(stack, "Job", job_name=cdk.Fn.import_value("job-name"))
    ruleset = glue.DataQualityRuleset.from_ruleset_name(stack, "Rules", "processed-rules")
    topic = sns.Topic(stack, "Topic")
    facade = alarm_facade(stack, "Alarms", style=STYLE, topic=topic)
    row = watch_etl(stack, facade, style=STYLE, job=job, ruleset=ruleset, topic=topic)
    assert {a.node.id for a in row.alarms} == {
        "proj-stage-GlueJobFailed",
        "proj-stage-GlueJobTimedOut",
        "proj-stage-DataQualityFailures",
    }
    rules = Template.from_stack(stack).find_resources("AWS::Events::Rule")
    patterns = [r["Properties"]["EventPattern"] for r in rules.values()]
    job_states = sorted(p["detail"]["state"][0] for p in patterns if p["source"] == ["aws.glue"])
    assert job_states == ["FAILED", "SUCCEEDED", "TIMEOUT"]
    (quality,) = [p for p in patterns if p["source"] == ["aws.glue-dataquality"]]
    assert quality["detail"] == {"rulesetNames": ["processed-rules"], "state": ["FAILED"]}


def test_notify_sends_alarm_and_ok_to_the_topic(stack):
    topic = sns.Topic(stack, "Topic")
    alarm = (
        sfn.StateMachine.from_state_machine_name(stack, "M", "m")
        .metric_failed()
        .create_alarm(stack, "Alarm", threshold=1, evaluation_periods=1)
    )
    notify(alarm, topic)
    (props,) = [
        a["Properties"]
        for a in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    ]
    assert (
        props["AlarmActions"]
        == props["OKActions"]
        == [{"Ref": stack.get_logical_id(topic.node.default_child)}]
    )
