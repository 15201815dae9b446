"""The Glue ETL stack: job, security, least-privilege roles, crawler, quality, triggers."""

from __future__ import annotations

import json

from lake_layout import CURATED_TABLE, PROCESSED_TABLE, QUARANTINE_TABLE, SCORING_CHANNEL


def _only(template, resource_type: str) -> dict:
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, resources.keys()
    return next(iter(resources.values()))


def _policy_of(template, role_prefix: str) -> list[dict]:
    policies = {
        k: v
        for k, v in template.find_resources("AWS::IAM::Policy").items()
        if k.startswith(role_prefix)
    }
    assert len(policies) == 1
    return next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]


def _text(value) -> str:
    return json.dumps(value)


def test_job_runs_glue_5_1_with_the_stage_workers(synthesised):
    for stage in synthesised.values():
        job = _only(stage.template("etl"), "AWS::Glue::Job")["Properties"]
        assert job["GlueVersion"] == "5.1"
        assert job["Command"]["Name"] == "glueetl"
        assert job["WorkerType"] == stage.config.etl.worker_type
        assert job["NumberOfWorkers"] == stage.config.etl.number_of_workers
        assert job["Timeout"] == stage.config.etl.timeout_minutes
        assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}


def test_job_script_and_normaliser_are_assets(dev):
    job = _only(dev.template("etl"), "AWS::Glue::Job")["Properties"]
    assert _text(job["Command"]["ScriptLocation"]).endswith('.py"]]}')
    assert "cdk-hnb659fds-assets" in _text(job["Command"]["ScriptLocation"])
    extra = job["DefaultArguments"]["--extra-py-files"]
    assert "cdk-hnb659fds-assets" in _text(extra) and _text(extra).endswith('.py"]]}')


def test_job_arguments_point_at_the_layers_and_carry_the_thresholds(dev):
    args = _only(dev.template("etl"), "AWS::Glue::Job")["Properties"]["DefaultArguments"]
    etl = dev.config.etl
    assert "RawBucket" in _text(args["--raw_path"])
    assert f"/{PROCESSED_TABLE}/" in _text(args["--processed_path"])
    assert f"/{CURATED_TABLE}/" in _text(args["--curated_path"])
    assert f"/{QUARANTINE_TABLE}/" in _text(args["--quarantine_path"])
    assert args["--max_quarantine_share"] == str(etl.max_quarantine_share)
    assert args["--min_chars"] == str(etl.min_chars)
    assert args["--max_chars"] == str(etl.max_chars)
    assert args["--validation_percent"] == str(etl.validation_percent)
    assert args["--job-bookmark-option"] == "job-bookmark-disable"
    assert args["--split_from_filename"] == "true"
    # Glue switches metrics on by the argument's presence.
    assert "--enable-metrics" in args
    # Glue 5.x: real-time logs into our groups, not Glue 4's continuous-logging flags.
    assert "--enable-continuous-cloudwatch-log" not in args
    assert args["--custom-logGroup-prefix"] == f"/aws-glue/jobs/{dev.config.stack_id('etl')}"


def test_security_configuration_encrypts_output_logs_and_bookmarks(dev):
    template = dev.template("etl")
    config = _only(template, "AWS::Glue::SecurityConfiguration")["Properties"]
    encryption = config["EncryptionConfiguration"]
    assert encryption["S3Encryptions"][0]["S3EncryptionMode"] == "SSE-KMS"
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    job = _only(template, "AWS::Glue::Job")["Properties"]
    assert "Security" in _text(job["SecurityConfiguration"])
    crawler = _only(template, "AWS::Glue::Crawler")["Properties"]
    assert "Security" in _text(crawler["CrawlerSecurityConfiguration"])


def test_job_role_writes_only_its_layer_prefixes_and_only_reads_raw(dev):
    statements = _policy_of(dev.template("etl"), "JobRole")
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert len(writes) == 1
    write_resources = [_text(r) for r in writes[0]["Resource"]]
    assert not any("RawBucket" in r for r in write_resources)
    object_arns = [r for r in write_resources if r.endswith('*"]]}')]
    expected = {
        f"/{PROCESSED_TABLE}/*",
        "/etl-run-summaries/*",
        f"/{CURATED_TABLE}/*",
        f"/{QUARANTINE_TABLE}/*",
    }
    assert {r.split('"')[-2] for r in object_arns} == expected
    reads = [s for s in statements if s["Action"] == ["s3:GetBucket*", "s3:GetObject*", "s3:List*"]]
    assert any("RawBucket" in _text(s["Resource"]) for s in reads)
    for statement in statements:
        assert statement["Action"] != "*" and statement["Resource"] != "*", statement


def test_crawler_role_only_reads_and_only_catalogs_the_lake_database(dev):
    statements = _policy_of(dev.template("etl"), "CrawlerRole")
    assert not any("s3:PutObject" in s["Action"] for s in statements)
    glue = [s for s in statements if any(a.startswith("glue:") for a in s["Action"])]
    assert len(glue) == 1
    assert "glue:DeleteTable" not in glue[0]["Action"]
    assert "Catalog" in _text(glue[0]["Resource"])


def test_crawler_targets_the_three_layer_folders(dev):
    crawler = _only(dev.template("etl"), "AWS::Glue::Crawler")["Properties"]
    targets = crawler["Targets"]["S3Targets"]
    paths = [_text(t["Path"]) for t in targets]
    assert [p.split('"')[-2] for p in paths] == [
        f"/{PROCESSED_TABLE}/",
        f"/{CURATED_TABLE}/",
        f"/{QUARANTINE_TABLE}/",
    ]
    assert "Catalog" in _text(crawler["DatabaseName"])
    # The JSON Lines scoring channel would split the CSV curated table in several.
    exclusions = {p.split('"')[-2]: t["Exclusions"] for p, t in zip(paths, targets, strict=True)}
    assert exclusions[f"/{CURATED_TABLE}/"] == ["**/_SUCCESS", "**/*.crc", f"{SCORING_CHANNEL}/**"]
    assert exclusions[f"/{PROCESSED_TABLE}/"] == ["**/_SUCCESS", "**/*.crc"]


def test_data_quality_ruleset_guards_the_processed_table(dev):
    ruleset = _only(dev.template("etl"), "AWS::Glue::DataQualityRuleset")["Properties"]
    assert ruleset["TargetTable"]["TableName"] == PROCESSED_TABLE
    rules = ruleset["Ruleset"]
    for rule in (
        'IsComplete "review_id"',
        'IsUnique "review_id"',
        'ColumnValues "sentiment" in ["positive", "negative"]',
        'ColumnValues "label" in [0, 1]',
    ):
        assert rule in rules
    assert f"between {dev.config.etl.min_chars - 1} and {dev.config.etl.max_chars + 1}" in rules


def test_prod_runs_on_a_schedule_and_dev_starts_from_uploads(dev, prod):
    prod.template("etl").has_resource_properties(
        "AWS::Glue::Trigger",
        {"Type": "SCHEDULED", "Schedule": prod.config.etl.schedule, "StartOnCreation": True},
    )
    assert dev.config.etl.trigger == "on_upload"
    assert dev.template("etl").find_resources("AWS::Glue::Trigger") == {}


def test_named_queries_cover_balance_lengths_and_quarantine(dev):
    queries = dev.template("etl").find_resources("AWS::Athena::NamedQuery")
    sql = " ".join(q["Properties"]["QueryString"] for q in queries.values())
    assert len(queries) == 3
    assert f'FROM "{{}}".{PROCESSED_TABLE}'.replace("{}", "") not in sql  # database is a ref
    assert "GROUP BY split, sentiment" in sql
    assert "approx_percentile(word_count" in sql
    assert f"FROM {QUARANTINE_TABLE} GROUP BY reason" in sql


def test_job_log_groups_are_the_ones_glue_5_writes_encrypted_and_expiring(synthesised):
    for stage in synthesised.values():
        groups = stage.template("etl").find_resources("AWS::Logs::LogGroup").values()
        prefix = f"/aws-glue/jobs/{stage.config.stack_id('etl')}"
        assert sorted(g["Properties"]["LogGroupName"] for g in groups) == [
            f"{prefix}/error",
            f"{prefix}/output",
        ]
        for group in groups:
            log_group = group["Properties"]
            assert log_group["RetentionInDays"] == stage.config.monitoring.log_retention_days
            assert "DataKey" in _text(log_group["KmsKeyId"])


def test_stack_passes_exactly_the_arguments_the_job_reads(dev):
    from etl_options import OPTIONS

    args = _only(dev.template("etl"), "AWS::Glue::Job")["Properties"]["DefaultArguments"]
    ours = {name[2:] for name in args if not name[2:3].isupper() and "-" not in name[2:]}
    assert {option.name for option in OPTIONS if option.required} <= ours
    assert ours <= {option.name for option in OPTIONS}
