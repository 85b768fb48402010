"""The optimize, scale and migrate checks on hand-built packages: pass, and fail saying why."""

from __future__ import annotations

from typing import Any

from agent.package import DesignPackage
from agent.stages import (
    IndexPlan,
    IndexRecommendation,
    LintItem,
    MigrationPlan,
    MigrationStep,
    OptimizationReport,
    QueryFinding,
    QueryReport,
    QueryRewrite,
    ReplicaPlan,
    ScalingPlan,
    SchemaChange,
    TableSize,
)
from evals.checks import CHECKS, grade
from evals.registry import Expectation
from tools.sql.server import PgServer


def _one(pkg: DesignPackage, check: str, arg: Any = None) -> tuple[bool, str]:
    expectation = Expectation(check=check, arg=CHECKS[check].validate(arg))
    result = grade(pkg, [expectation], _no_server)[0]
    return result.passed, result.detail


def _no_server() -> PgServer:
    raise AssertionError("these checks must not need PostgreSQL")


def _optimized() -> DesignPackage:
    slow = QueryFinding(rule="seq-scan-on-large-table", severity="warning", message="seq")
    review = OptimizationReport(
        lint=[LintItem(rule="float-for-money", severity="error", message="float", table="orders")],
        queries=[
            QueryReport(query="orders of a customer", sql="…", cost=1093.0, cost_after=26.5),
            QueryReport(
                query="open orders", sql="…", cost=1094.0, cost_after=50.5, findings=[slow]
            ),
            QueryReport(query="report", sql="…", cost=80.0, cost_after=80.0),
            QueryReport(query="broken", sql="…", error="column x does not exist"),
        ],
        rewrites=[
            QueryRewrite(
                query="open orders",
                problem="offset-pagination",
                original="…",
                rewritten="…",
                why="keyset",
            )
        ],
        indexes=IndexPlan(
            indexes=[
                IndexRecommendation(
                    ddl="CREATE INDEX ON orders (status, placed_at, id)",
                    table="orders",
                    columns=["status", "placed_at", "id"],
                    serves=["open orders (rewritten)"],
                    cost_before=1343.0,
                    cost_after=50.5,
                )
            ]
        ),
    )
    return DesignPackage(name="shop", mode="optimize", optimization=review)


def test_finds_reads_lint_plan_findings_and_rewrites() -> None:
    wanted = ["float-for-money", "seq-scan-on-large-table", "offset-pagination"]
    assert _one(_optimized(), "finds", wanted) == (True, "all 3 problems reported")
    passed, detail = _one(_optimized(), "finds", ["float-for-money", "fk-without-index"])
    assert (passed, detail) == (False, "not reported: fk-without-index")
    assert _one(DesignPackage(name="x"), "finds", ["a"]) == (
        False,
        "the package has no optimization review",
    )


def test_queries_cheaper_names_each_query_that_is_not() -> None:
    assert _one(_optimized(), "queries_cheaper", ["orders of a customer", "open orders"])[0]
    passed, detail = _one(_optimized(), "queries_cheaper", ["report", "broken", "missing"])
    assert not passed
    assert "'report' is not cheaper (80 -> 80)" in detail
    assert "'broken' has no cost before and after (column x does not exist)" in detail
    assert "'missing' was not reviewed" in detail


def test_indexes_pay_off_reads_the_optimize_plan_and_rewritten_names() -> None:
    pkg = _optimized()
    assert pkg.indexes is None
    assert _one(pkg, "indexes_pay_off") == (True, "all 1 indexes lower a named pattern's cost")


def _scaled() -> DesignPackage:
    plan = ScalingPlan(
        sizes=[
            TableSize(table="orders", rows_now=9, rows_12m=10, rows_36m=12),
            TableSize(table="customers", rows_now=1, rows_12m=1, rows_36m=1),
        ],
        replicas=ReplicaPlan(read_replicas=2),
    )
    return DesignPackage(name="shop", mode="scale", scaling=plan)


def test_replicas_min_and_sized() -> None:
    assert _one(_scaled(), "replicas_min", 2) == (True, "2 replica(s)")
    assert _one(_scaled(), "replicas_min", 3) == (False, "2 replica(s), expected at least 3")
    assert _one(_scaled(), "sized", ["orders", "customers"]) == (True, "all 2 tables sized")
    passed, detail = _one(_scaled(), "sized", ["orders", "order_items"])
    assert (passed, detail) == (False, "no size estimate for: order_items")
    assert _one(DesignPackage(name="x"), "sized", ["a"]) == (
        False,
        "the package has no scaling plan",
    )


def _step(name: str, phase: str, **changes: Any) -> MigrationStep:
    base: dict[str, Any] = {
        "name": name,
        "phase": phase,
        "up": "SELECT 1;",
        "down": "SELECT 1;",
        "lock": "none",
        "why": "because",
    }
    return MigrationStep.model_validate(base | changes)


def _migrated(*steps: MigrationStep) -> DesignPackage:
    plan = MigrationPlan(
        changes=[
            SchemaChange(object="column", change="changed", name="orders.total"),
            SchemaChange(object="index", change="added", name="orders_customer_id_idx"),
        ],
        steps=list(steps),
    )
    return DesignPackage(name="shop", mode="migrate", migration=plan)


def test_migration_online() -> None:
    good = _migrated(_step("a", "expand"), _step("b", "backfill"), _step("c", "contract"))
    assert _one(good, "migration_online") == (
        True,
        "3 online steps (1 expand, 1 backfill, 1 contract)",
    )
    bad = _migrated(
        _step("swap", "contract", online=False),
        _step("add", "expand", down="  "),
    )
    passed, detail = _one(bad, "migration_online")
    assert not passed
    assert "swap is not online" in detail and "add has no rollback" in detail
    assert "phases are out of order (expand, backfill, contract)" in detail
    assert _one(_migrated(), "migration_online") == (False, "the package has no migration steps")


def test_migration_changes() -> None:
    pkg = _migrated(_step("a", "expand"))
    assert _one(pkg, "migration_changes", ["orders.total"]) == (True, "all 1 changes planned")
    passed, detail = _one(pkg, "migration_changes", ["orders.total", "orders.status"])
    assert (passed, detail) == (False, "not changed: orders.status")


def test_migration_destructive_judges_every_retire_and_purge_step() -> None:
    """Renamed aside, then purged on purpose: both steps are contract-only and acknowledged."""
    ack = {"accepted_lint": [{"rule": "ban-drop-column", "reason": "md5 hashes are retired"}]}
    good = _migrated(
        _step("add_column_users_password_hash", "expand"),
        _step("retire_column_users_password_md5", "contract", **ack),
        _step("purge_column_users_password_md5__retired", "contract", **ack),
    )
    assert _one(good, "migration_destructive", ["users.password_md5"]) == (
        True, "1 drops contract-only, acknowledged"
    )  # fmt: skip
    unacknowledged = _migrated(
        _step("retire_column_users_password_md5", "contract", **ack),
        _step("purge_column_users_password_md5__retired", "contract"),
    )
    passed, detail = _one(unacknowledged, "migration_destructive", ["users.password_md5"])
    assert not passed and "purge_column_users_password_md5__retired does not acknowledge" in detail
    early = _migrated(_step("retire_column_users_password_md5", "expand", **ack))
    passed, detail = _one(early, "migration_destructive", ["users.password_md5"])
    assert not passed and "runs before the expand and backfill steps are done" in detail
    passed, detail = _one(good, "migration_destructive", ["coupons"])
    assert (passed, detail) == (False, "no step drops or retires coupons")
