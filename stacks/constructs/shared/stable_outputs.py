"""Two synths of a stage are byte-identical: cross-stack outputs in a fixed order, and
no temporary paths in the assembly.

The CDK creates a producer's outputs (`Publish/Output...`) as consumers' references are
discovered, and that order changed from run to run (observed on the data-lake template:
three bucket ARNs took turns), which changed the template and every hash derived from it.
A validation runs after all references are resolved and before templates are written;
it re-adds the outputs sorted by id. Ids, and so every consumer's reference, stay as
they were.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsii
from aws_cdk import CfnOutput, Stack
from constructs import Construct, IValidation

# Where the CDK puts the outputs that back cross-stack references.
PUBLISH_SCOPE = "Publish"


@jsii.implements(IValidation)
class _SortPublishedOutputs:
    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def validate(self) -> list[str]:
        publish = self._stack.node.try_find_child(PUBLISH_SCOPE)
        if not isinstance(publish, Construct):
            return []
        outputs = sorted(
            (child.node.id, child.value)
            for child in publish.node.children
            if isinstance(child, CfnOutput)
        )
        for construct_id, _ in outputs:
            publish.node.try_remove_child(construct_id)
        for construct_id, value in outputs:
            CfnOutput(publish, construct_id, value=value)
        return []


def sort_published_outputs(stack: Stack) -> None:
    stack.node.add_validation(_SortPublishedOutputs(stack))


# cdk-nag acknowledgments record where they were made; the frames name the jsii kernel's
# temporary directory, new on every run.
_KERNEL_DIR = re.compile(r"/[^\s\"']*/jsii-kernel-[A-Za-z0-9_]+/")


def scrub_kernel_paths(assembly_dir: Path) -> None:
    """Replace the kernel's temporary directory in the assembly's metadata and report.

    These files carry no hashes, so rewriting them changes nothing else in the assembly.
    """
    for path in [*assembly_dir.glob("*.metadata.json"), assembly_dir / "validation-report.json"]:
        if path.is_file():
            text = path.read_text()
            scrubbed = _KERNEL_DIR.sub("<jsii-kernel>/", text)
            if scrubbed != text:
                path.write_text(scrubbed)
