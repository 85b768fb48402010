"""The graders: every check by name, and `grade`, which runs a case's checks on a package.

The check functions live in `graders` (`schema`: the DDL; `design`: plans, indexes, gates,
technology, ADRs, report; `modes`: optimize, scale and migrate outputs; `keys` and `plans`:
keys and constraints, sizes, sharding, runners-up, destructive migrations) and
`application` (the package applied to a filled scratch database and used as an application
would: a role without ownership or BYPASSRLS running the stated patterns, tenants, append-only
tables, overlaps, erasure); importing them here registers them, so anything that loads cases
or grades imports this module and sees the full set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import psycopg

from agent.package import DesignPackage
from evals.application import integrity, patterns, tenancy, uniqueness
from evals.graders import design, keys, modes, plans, schema
from evals.registry import CHECKS, CheckDef, CheckResult, Expectation
from evals.subject import DEFAULT_SAMPLE_CAP, Subject
from tools.errors import ArchitectError, DatabaseError
from tools.sql.server import PgServer

__all__ = ["CHECKS", "CheckDef", "CheckResult", "Expectation", "grade", "known_checks"]
# imported for their registrations
_MODULES = (
    *(schema, design, modes, keys, plans),
    *(patterns, tenancy, integrity, uniqueness),
)


def known_checks() -> list[str]:
    return sorted(CHECKS)


def grade(
    package: DesignPackage,
    expectations: Sequence[Expectation],
    server: Callable[[], PgServer],
    rows: Mapping[str, int] | None = None,
    sample_cap: int = DEFAULT_SAMPLE_CAP,
) -> list[CheckResult]:
    """Run each expectation's check on `package`, in order.

    A check that cannot look at what it needs (no DDL, DDL that does not parse, an extension
    the server lacks) fails with the error as its detail: the package is what is wrong,
    and the other checks still run.
    """
    subject = Subject(package=package, server=server, rows=rows or {}, sample_cap=sample_cap)
    try:
        return [_verdict(subject, expectation) for expectation in expectations]
    finally:
        subject.close()


def _verdict(subject: Subject, expectation: Expectation) -> CheckResult:
    definition = CHECKS[expectation.check]
    try:
        passed, detail = definition.fn(subject, expectation.arg)
    except (DatabaseError, psycopg.OperationalError):
        raise  # no server to check against: the run's problem, not the package's
    except ArchitectError as error:
        passed, detail = False, str(error)
    except psycopg.Error as error:  # a statement the package made PostgreSQL refuse
        passed, detail = False, f"PostgreSQL refused a probe: {error}"
    return CheckResult(
        check=expectation.check, passed=passed, detail=detail, expected=expectation.arg
    )
