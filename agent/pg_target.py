"""The PostgreSQL major version a design targets: asked for, stated in the spec, or read.

`--pg-version` (the request) wins over the spec's `pg_version`; without either the target
is the version of the server the gates run on (the embedded 18, or whatever DATABASE_URL
points at, read from the server itself). Every stage then reads `spec.pg_version`.
"""

from __future__ import annotations

from agent.context import RunContext
from agent.spec import Requirements
from agent.state import DesignRequest
from tools.sql.pg_features import NEWEST, OLDEST, supports
from tools.sql.server import server_version


def with_target(spec: Requirements, request: DesignRequest, ctx: RunContext) -> Requirements:
    version = request.pg_version or spec.pg_version or server_major(ctx)
    if spec.pg_version == version:
        return spec
    return spec.model_copy(update={"pg_version": version})


def server_major(ctx: RunContext) -> int:
    """The gates' server's major version, within the range the version table knows."""
    major = server_version(ctx.pg()) // 10000
    return min(max(major, OLDEST), NEWEST)


def target_of(spec: Requirements | None) -> int:
    """The spec's target; a spec that never went through the requirements stage is newest."""
    return spec.pg_version if spec is not None and spec.pg_version else NEWEST


def uuid_default(spec: Requirements) -> str:
    """Time-ordered uuidv7() where the target has it (inserts stay local in the key's
    index); the random gen_random_uuid() (v4, PostgreSQL 13+) before 18."""
    return "uuidv7()" if supports(target_of(spec), "uuidv7") else "gen_random_uuid()"
