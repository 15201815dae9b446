"""cdk-nag is live on every synthesis and the templates pass cfn-lint."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from cfn_lint_support import assert_cfn_lint_clean, cfn_lint_errors


def test_nag_rejects_an_insecure_bucket(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "Throwaway")
    s3.Bucket(stack, "Insecure")  # no SSL enforcement, no access logs
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        app.synth()
    message = str(failure.value)
    assert "AwsSolutions::AwsSolutions-S1'" in message  # server access logs
    assert "AwsSolutions::AwsSolutions-S10'" in message  # SSL not required
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert any(p["conclusion"] == "failure" for p in report["pluginReports"])


# Reasons that were once written here and are not true: an API key identifies a usage
# plan (throttling, quota); it authenticates nobody, and the public page hands it out.
FALSE_REASONS = ("authenticate with an api key", "api key tied to", "callers authenticate")


def test_platform_has_no_unacknowledged_findings(synthesised):
    for stage in synthesised.values():
        report = json.loads((stage.assembly_dir / "validation-report.json").read_text())
        for plugin in report["pluginReports"]:
            assert plugin["pluginName"] == "AwsSolutions"
            assert plugin["violations"] == [], stage.config.stage
            for acknowledged in plugin["suppressedViolations"]:
                assert len(acknowledged["reason"]) >= 30, acknowledged["ruleName"]


def test_every_acknowledgment_names_its_resource_and_no_false_reason(synthesised):
    for stage in synthesised.values():
        report = json.loads((stage.assembly_dir / "validation-report.json").read_text())
        for acknowledged in report["pluginReports"][0]["suppressedViolations"]:
            reason = acknowledged["reason"]
            # The resource, as its path inside the stack reads, comes first.
            named = acknowledged["acknowledgedAt"].split("/")[1]
            assert reason.startswith(named), (acknowledged["ruleName"], reason)
            assert not any(phrase in reason.lower() for phrase in FALSE_REASONS), reason


def test_templates_pass_cfn_lint(synthesised):
    for stage in synthesised.values():
        assert stage.template_files(), stage.config.stage
    assert_cfn_lint_clean([f for stage in synthesised.values() for f in stage.template_files()])


def test_the_lint_helper_reports_a_broken_template(tmp_path):
    broken = tmp_path / "broken.template.json"
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"NoSuchProperty": True}}
    broken.write_text(json.dumps({"Resources": {"Bucket": bucket}}))
    (errors,) = cfn_lint_errors([broken]).values()
    assert any("NoSuchProperty" in error for error in errors), errors
