"""The platform's CDK stacks and constructs.

The rules the stacks share with the runtime (lake layout, ETL options, metric
definitions, the request schema) live in `common/` as flat modules, the names they have
inside Glue, SageMaker and Lambda; importing `stacks` makes those names importable here.
"""

import sys
from pathlib import Path

_COMMON = str(Path(__file__).resolve().parent.parent / "common")
if _COMMON not in sys.path:
    sys.path.append(_COMMON)
