"""Docker-free assets: the Lambda bundle and the deterministic source tarball."""

from __future__ import annotations

import gzip
import io
import tarfile

from stacks.constructs.shared.python_bundle import RUNTIME_PROVIDED, required_distributions
from stacks.constructs.shared.source_bundle import deterministic_tarball
from stacks.source_paths import PREDICT_LAMBDA


def test_requirements_expand_to_their_pure_python_closure_without_the_runtime(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\naws-lambda-powertools[tracer]==3.37.0  # pinned\n")
    found = required_distributions(requirements)
    # The extra pulls in the X-Ray SDK, which pulls in wrapt; botocore stays the runtime's.
    assert {"aws-lambda-powertools", "aws-xray-sdk", "wrapt", "jmespath"} <= set(found)
    assert not set(found) & RUNTIME_PROVIDED
    requirements.write_text("aws-lambda-powertools==3.37.0\n")
    assert "aws-xray-sdk" not in required_distributions(requirements)


def test_the_predict_lambda_bundles_what_its_requirements_name():
    found = required_distributions(PREDICT_LAMBDA / "requirements.txt")
    assert "aws-lambda-powertools" in found and "fastjsonschema" in found
    assert "boto3" not in found and "botocore" not in found


def test_source_tarball_is_byte_identical_across_builds(tmp_path):
    source = tmp_path / "train.py"
    source.write_text("print('hi')\n")
    first = deterministic_tarball({"train.py": source}, tmp_path / "a.tar.gz").read_bytes()
    source.touch()  # a new mtime must not change the archive
    second = deterministic_tarball({"train.py": source}, tmp_path / "b.tar.gz").read_bytes()
    assert first == second
    with tarfile.open(fileobj=gzip.GzipFile(fileobj=io.BytesIO(first))) as archive:
        (member,) = archive.getmembers()
        assert (member.name, member.mtime, member.uid, member.mode) == ("train.py", 0, 0, 0o644)
