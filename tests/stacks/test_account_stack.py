"""API Gateway's account-wide logging role lives in one stack that every stage shares."""

from __future__ import annotations

import json

from aws_cdk.assertions import Template


def _account(stage):
    return stage.app.node.find_child(f"{stage.config.project}-account")


def test_one_account_stack_owns_the_api_gateway_logging_role(synthesised):
    for stage in synthesised.values():
        account = Template.from_stack(_account(stage))
        (setting,) = account.find_resources("AWS::ApiGateway::Account").values()
        roles = account.find_resources("AWS::IAM::Role")
        (role_id,) = roles
        assert setting["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
        # Another stage may still log through it after this stack is deleted.
        assert roles[role_id]["DeletionPolicy"] == "Retain"
        assert "AmazonAPIGatewayPushToCloudWatchLogs" in json.dumps(roles[role_id])
        serving = stage.template("serving")
        assert serving.find_resources("AWS::ApiGateway::Account") == {}
        assert not any(
            "AmazonAPIGatewayPushToCloudWatchLogs" in json.dumps(role)
            for role in serving.find_resources("AWS::IAM::Role").values()
        )


def test_serving_deploys_after_the_account_setting_and_stages_share_the_stack(dev, prod):
    for stage in (dev, prod):
        dependencies = {d.node.id for d in stage.stack("serving").dependencies}
        assert _account(stage).node.id in dependencies
    assert _account(dev).stack_name == _account(prod).stack_name
    # No stage tag: the same template whichever stage deploys it.
    dev_tags = json.dumps(Template.from_stack(_account(dev)).to_json())
    assert '"stage"' not in dev_tags
    assert (
        Template.from_stack(_account(dev)).to_json()
        == Template.from_stack(_account(prod)).to_json()
    )
