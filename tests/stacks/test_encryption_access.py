"""Whoever may write to an encrypted resource can use its key.

SNS, S3 and CloudWatch Logs encrypt with the resource's KMS key on behalf of the writer,
so a writer without the key fails at run time, not at deploy time: a pipeline that
registers a model and then cannot say so, a job that cannot write its layer. These walks
cover every template of both stages, across stacks.
"""

from __future__ import annotations

import pytest
from template_graph import StageGraph, service_named

ENCRYPT_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


@pytest.fixture(scope="module", params=["dev", "prod"])
def graph(request, synthesised) -> StageGraph:
    return StageGraph(synthesised[request.param].assembly_dir)


def _key_policy(graph: StageGraph, key) -> list:
    document = graph.resource(key)["Properties"]["KeyPolicy"]
    return StageGraph.statements(document, key[0])


def _role_can_encrypt(graph, role, key) -> bool:
    statements = graph.role_statements(role)
    return all(any(graph.covers(s, a, key) for s in statements) for a in ENCRYPT_ACTIONS)


def _service_can_encrypt(graph, service: str, key) -> bool:
    statements = [
        s for s in _key_policy(graph, key) if any(service_named(p, service) for p in s.principals)
    ]
    return all(any(graph.covers(s, a, None) for s in statements) for a in ENCRYPT_ACTIONS)


def _encrypted_topics(graph):
    for stack, logical_id, topic in graph.resources("AWS::SNS::Topic"):
        key = graph.target(topic["Properties"].get("KmsMasterKeyId"), stack)
        if key:
            yield (stack, logical_id), key


def test_every_role_that_may_publish_to_an_encrypted_topic_can_use_its_key(graph):
    checked = 0
    for topic, key in _encrypted_topics(graph):
        for stack, role_id, _ in graph.resources("AWS::IAM::Role"):
            role = (stack, role_id)
            if any(graph.covers(s, "sns:Publish", topic) for s in graph.role_statements(role)):
                assert _role_can_encrypt(graph, role, key), f"{role} publishes without {key}"
                checked += 1
    assert checked >= 1  # the training pipeline publishes


def test_every_service_that_may_publish_to_an_encrypted_topic_can_use_its_key(graph):
    services = set()
    for topic, key in _encrypted_topics(graph):
        allowed: set[str] = set()
        for stack, _, policy in graph.resources("AWS::SNS::TopicPolicy"):
            topics = [graph.target(t, stack) for t in policy["Properties"]["Topics"]]
            if topic not in topics:
                continue
            for statement in StageGraph.statements(policy["Properties"]["PolicyDocument"], stack):
                if graph.covers(statement, "sns:Publish", None):
                    allowed.update(statement.principals)
        services |= allowed
        for kind in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
            for stack, _, alarm in graph.resources(kind):
                actions = alarm["Properties"].get("AlarmActions", []) + alarm["Properties"].get(
                    "OKActions", []
                )
                if any(graph.target(a, stack) == topic for a in actions):
                    services.add("cloudwatch.amazonaws.com")
                    # The topic policy replaces SNS's default one: alarms need a statement.
                    assert "cloudwatch.amazonaws.com" in allowed, alarm
        for service in sorted(services):
            assert _service_can_encrypt(graph, service.split(".")[0], key), service
    assert {"budgets.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"} <= services


def test_every_role_that_writes_to_a_kms_bucket_can_use_its_key(graph):
    checked = 0
    for stack, bucket_id, bucket in graph.resources("AWS::S3::Bucket"):
        rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        key = graph.target(rules[0]["ServerSideEncryptionByDefault"].get("KMSMasterKeyID"), stack)
        if key is None:
            continue
        for role_stack, role_id, _ in graph.resources("AWS::IAM::Role"):
            role = (role_stack, role_id)
            statements = graph.role_statements(role)
            if any(graph.covers(s, "s3:PutObject", (stack, bucket_id)) for s in statements):
                assert _role_can_encrypt(graph, role, key), f"{role} writes {bucket_id}"
                checked += 1
    assert checked >= 4  # Glue job, training, endpoint capture, at least


def test_cloudwatch_logs_may_use_the_key_of_every_encrypted_log_group(graph):
    checked = 0
    for stack, _, group in graph.resources("AWS::Logs::LogGroup"):
        key = graph.target(group["Properties"].get("KmsKeyId"), stack)
        assert key, f"{stack}: a log group without a key"
        assert _service_can_encrypt(graph, "logs", key)
        checked += 1
    assert checked >= 6
