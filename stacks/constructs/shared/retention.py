"""What a stage keeps when its stacks are deleted, decided in one place.

Every construct that holds data (buckets, keys, the catalog, log groups) takes a
`Retention` and asks it for its removal policy, so a stage is either all kept (prod) or
all disposable (dev), never half of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs

from stacks.config import ConfigError

_LOG_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
LOG_RETENTION_DAYS = tuple(sorted(_LOG_RETENTION))


@dataclass(frozen=True)
class Retention:
    # True keeps buckets, keys, the catalog and logs when a stack is deleted (prod);
    # False lets `cdk destroy` clean up a dev account completely.
    retain_data: bool
    log_retention_days: int

    def __post_init__(self) -> None:
        if self.log_retention_days not in _LOG_RETENTION:
            raise ConfigError(
                f"monitoring.log_retention_days must be one of {list(LOG_RETENTION_DAYS)}"
            )

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def key_pending_window(self) -> Duration:
        """A retained key may still be wanted: give a mistaken deletion a month to undo."""
        return Duration.days(30 if self.retain_data else 7)

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _LOG_RETENTION[self.log_retention_days]
