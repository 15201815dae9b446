"""The lake's layout: the folders (prefixes) each layer uses and the tables they become.

One module for the stacks (IAM scopes, job arguments, crawler targets, named queries),
the Glue job (local output folders) and training (channel names), so a rename happens
in one place. The crawler names each table after its folder, hence one name for both.
Standard library only: it ships into Glue and SageMaker.
"""

from __future__ import annotations

# Folders under the processed, curated and quarantine buckets; each is one Glue table.
PROCESSED_TABLE = "processed_reviews"
CURATED_TABLE = "curated_reviews"
QUARANTINE_TABLE = "quarantined_reviews"
# The ETL run summary (counts in, out, quarantined, per reason) beside processed data.
SUMMARY_PREFIX = "etl-run-summaries"
SUMMARY_FILE = "latest.json"

# Training channels under curated_reviews/, in the order SageMaker receives them.
CHANNELS = ("train", "validation", "test")
# Beside them: the test split again as gzip JSON Lines ({"review_id", "review", "label"}
# per line), the input Batch Transform scores by default. Not a training channel.
SCORING_CHANNEL = "scoring"
SCORING_SOURCE_CHANNEL = "test"

# Prefixes of the models bucket.
TRAINING_OUTPUT_PREFIX = "training-jobs"
CHECKPOINT_PREFIX = "checkpoints"
DATA_CAPTURE_PREFIX = "data-capture"
# The MLflow App's artifact store (runs' files) in the models bucket.
MLFLOW_PREFIX = "mlflow"

# The predictions bucket: Batch Transform output, one folder per run
# (scored_reviews/run_date=YYYY-MM-DD/run_id=<execution name>/), which is also the
# Glue table's name; ad-hoc JSON Lines to score are uploaded under BATCH_INPUT_PREFIX.
PREDICTIONS_TABLE = "scored_reviews"
BATCH_INPUT_PREFIX = "batch-input"

# Folders a local ETL run writes under its --output directory, mirroring the buckets.
LOCAL_LAYERS = {
    "processed": PROCESSED_TABLE,
    "curated": CURATED_TABLE,
    "quarantine": QUARANTINE_TABLE,
}
