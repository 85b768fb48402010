"""The stated access patterns, executed as the application: `app_patterns_run` and
`app_finds_before_tenant` (a login looks a user up before it knows the tenant).

A setting a policy compares with a column the request itself looks up (a sign-in's
`email = current_setting('app.login_email')`) is set to the request's value, as the
application would declare it; the tenant's key is set only where a tenant is known."""

from __future__ import annotations

from agent.claims.model import LookupFunction
from agent.spec.model import AccessPattern
from evals.application.binding import bind, parameter_count, parameter_slots
from evals.application.database import APP_ROLE, AppDatabase
from evals.application.probe import DUPLICATE_ROW, Outcome, execute
from evals.registry import Grade, NonEmpty, bad, check, listing, ok
from evals.subject import Subject
from tools.sql import pgparse
from tools.sql.server import Conn


def run_pattern(
    db: AppDatabase, conn: Conn, pattern: AccessPattern, values_from: Conn, sql: str | None = None
) -> Outcome:
    """Bind the pattern's parameters from rows `values_from` sees, then run it on `conn`
    (as `sql` where the package routes the pattern elsewhere, e.g. through a function)."""
    statement = pgparse.parse_sql(pattern.sql)[0].stmt
    assert statement is not None
    slots = parameter_slots(statement, db.catalog)
    values = bind(values_from, slots, parameter_count(statement), db.catalog)
    looked_up = {
        (slot.table, slot.column): value
        for slot in slots.values()
        if slot.table and slot.column and (value := values[slot.number - 1]) is not None
    }
    for name, value in db.policy.declared(looked_up).items():
        conn.execute("SELECT set_config(%s, %s, true)", (name, value))
    return execute(conn, sql or pattern.sql, values)


def _as_the_package_runs_it(subject: Subject, name: str) -> tuple[str | None, str]:
    """A pattern the design routes through a lookup function (its claim says so) runs as
    `SELECT * FROM fn($1, ...)`, the way its report tells the application to call it."""
    design = subject.package.schema_design
    for claim in design.claims if design else []:
        if isinstance(claim, LookupFunction) and claim.pattern == name:
            calls = ", ".join(f"${n}" for n in range(1, len(claim.arguments) + 1))
            return f"SELECT * FROM {claim.function}({calls})", f" through {claim.function}()"
    return None, ""


def _who(db: AppDatabase, settings: dict[str, str]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    return f"as {APP_ROLE}" + (f" ({shown})" if shown else "")


@check("app_patterns_run")
def app_patterns_run(subject: Subject, arg: None) -> Grade:
    """Every stated access pattern executes as the application role (no owner rights, no
    BYPASSRLS, the settings its policies read, a tenant that has rows), with parameter
    values taken from that tenant's rows; a write may only hit a duplicate of a copied row."""
    patterns = subject.package.spec.access_patterns if subject.package.spec else []
    if not patterns:
        return bad("the package states no access patterns")
    db = subject.app()
    settings = db.tenant_settings() if db.policy.tenants else db.policy.settings(None)
    problems: list[str] = []
    returned = 0
    for pattern in patterns:
        with db.session(settings) as conn:
            outcome = run_pattern(db, conn, pattern, conn)
        tolerated = pattern.is_write and outcome.refused_with(*DUPLICATE_ROW)
        if not outcome.ran and not tolerated:
            problems.append(f"'{pattern.name}': {outcome.why}")
        returned += int(outcome.ran and outcome.rows > 0 and not pattern.is_write)
    if problems:
        return bad(f"{len(problems)} of {len(patterns)} failed {_who(db, settings)}: "
                   + listing(problems))  # fmt: skip
    reads = sum(1 for p in patterns if not p.is_write)
    return ok(f"all {len(patterns)} patterns ran {_who(db, settings)}; "
              f"{returned} of {reads} reads returned rows")  # fmt: skip


@check("app_finds_before_tenant", NonEmpty)
def app_finds_before_tenant(subject: Subject, names: list[str]) -> Grade:
    """Each named pattern (a sign-in looking a user up by email, say) returns rows for the
    application role before any tenant is set, with values of a row that exists, run as the
    package says it runs (through the lookup function its claims name, if any)."""
    spec = subject.package.spec
    by_name = {p.name: p for p in spec.access_patterns} if spec else {}
    db = subject.app()
    settings = db.policy.settings(None)
    problems: list[str] = []
    for name in names:
        pattern = by_name.get(name)
        if pattern is None:
            problems.append(f"'{name}' is not a stated access pattern")
            continue
        sql, route = _as_the_package_runs_it(subject, name)
        with db.session(as_app=False) as owner, db.session(settings) as conn:
            outcome = run_pattern(db, conn, pattern, owner, sql)
        if not outcome.ran:
            problems.append(f"'{name}'{route} failed: {outcome.why}")
        elif outcome.rows == 0:
            problems.append(
                f"'{name}'{route} found nothing without a tenant (row-level security hides it)"
            )
    if problems:
        return bad(listing(problems))
    return ok(
        f"{len(names)} pattern(s) found their row {_who(db, settings)} before a tenant is set"
    )
