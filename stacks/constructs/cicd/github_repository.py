"""The GitHub repository whose workflows may reach a stage, and the OIDC subjects they present.

GitHub signs each job's token with a `sub` claim naming the repository and what the job
runs for: `repo:<owner>/<repo>:pull_request` for a pull request event,
`repo:<owner>/<repo>:environment:<name>` for a job bound to an environment. Repositories
created on github.com from 15 July 2026 on (and older ones that opted in) append the
numeric owner and repository ids, `repo:<owner>@<id>/<repo>@<id>:...`, so a recycled name
cannot mint matching tokens; `cicd.github_repository` accepts either form and is used
verbatim, so the trust policy matches the one form the repository emits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stacks.config import ConfigError

REPOSITORY_KEY = "cicd.github_repository"
QUALIFIER_KEY = "cicd.cdk_qualifier"

# GitHub's own rules: an owner is 1-39 letters, digits or inner single hyphens; a
# repository name is letters, digits, '.', '_' and '-'. An optional `@<digits>` is the
# immutable id. Nothing here can express a wildcard, so the trust stays one repository.
_OWNER = r"(?=[A-Za-z0-9-]{1,39}[@/])[A-Za-z0-9](?:-?[A-Za-z0-9])*"
_NAME = r"[A-Za-z0-9._-]{1,100}"
_IMMUTABLE_ID = r"(?:@[0-9]+)?"
_REPOSITORY = re.compile(rf"(?P<owner>{_OWNER}{_IMMUTABLE_ID})/(?P<name>{_NAME}{_IMMUTABLE_ID})")
# The bootstrap template's own AllowedPattern for its Qualifier parameter.
_QUALIFIER = re.compile(r"[A-Za-z0-9_-]{1,10}")


@dataclass(frozen=True)
class GithubRepository:
    owner: str
    name: str

    @classmethod
    def parse(cls, value: str | None) -> GithubRepository:
        """`owner/repo` (or `owner@id/repo@id`) from the stage config, or ConfigError."""
        if value is None:
            raise ConfigError(f"{REPOSITORY_KEY} is not set: CI needs 'owner/repo' to trust")
        if "*" in value or "?" in value:
            raise ConfigError(
                f"{REPOSITORY_KEY}: {value!r} has a wildcard; name exactly one repository"
            )
        match = _REPOSITORY.fullmatch(value)
        if match is None or match["name"].split("@")[0] in (".", ".."):
            raise ConfigError(f"{REPOSITORY_KEY}: {value!r} is not of the form 'owner/repo'")
        return cls(owner=match["owner"], name=match["name"])

    def subject(self, context: str) -> str:
        """The `sub` claim of this repository's jobs that run for `context`."""
        return f"repo:{self.owner}/{self.name}:{context}"

    @property
    def pull_request_subject(self) -> str:
        return self.subject("pull_request")

    def environment_subject(self, environment: str) -> str:
        return self.subject(f"environment:{environment}")


def checked_qualifier(qualifier: str) -> str:
    """The bootstrap qualifier, refused unless `cdk bootstrap` could have used it.

    It becomes part of IAM role ARNs, so anything else (a `*` above all) would widen
    what CI may assume instead of failing at deploy time.
    """
    if _QUALIFIER.fullmatch(qualifier) is None:
        raise ConfigError(f"{QUALIFIER_KEY}: {qualifier!r} must match [A-Za-z0-9_-]{{1,10}}")
    return qualifier
