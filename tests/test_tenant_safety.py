"""Tenant-safe schemas, judged as an application meets them (issue 11): a non-owner role
without BYPASSRLS refuses cross-tenant references, finds its login row before a tenant is
set, re-creates a soft-deleted name, every table claimed forced filters its owner, and every
no-overlap rule refuses an overlapping period.

The examples and the eval suite's CRM are compiled by the rules brain; the three specs under
fixtures/tenancy/ were written after it and also go through the whole design graph."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO
from tenant_exercise import (
    Exerciser,
    cross_tenant_references_are_refused,
    deleted_keys_can_be_used_again,
    forced_tables_filter_their_owner,
    lookups_work_before_a_tenant_is_set,
    overlaps_are_refused,
)

from agent.brains.rules.brain import RulesBrain
from agent.brains.rules.schema import compile_schema
from agent.claims.catalog import read_catalog
from agent.claims.check import check_claims
from agent.claims.model import Claim
from agent.config import Settings
from agent.context import RunContext
from agent.engine import run_design
from agent.spec import Requirements, load_spec, parse_spec
from agent.state import DesignRequest
from tools.sql.parse import parse_schema
from tools.sql.server import PgServer, Scratch
from tools.sql.validate import apply_statements

NEW_SPECS = sorted((FIXTURES / "tenancy").glob("*.yaml"))


def _crm() -> Requirements:
    case = yaml.safe_load((REPO / "evals" / "cases" / "crm-saas.yaml").read_text())
    return parse_spec(case["spec"])


def _spec(name: str) -> Requirements:
    if name == "crm-saas":
        return _crm()
    found = REPO / "examples" / f"{name}.yaml"
    return load_spec(found if found.exists() else FIXTURES / "tenancy" / f"{name}.yaml")


def _exercise(
    scratch: Scratch, spec: Requirements, ddl: str, claims: list[Claim]
) -> dict[str, int]:
    applied = apply_statements(parse_schema(ddl), scratch)
    assert applied.errors == []
    assert check_claims(claims, read_catalog(scratch.dsn)) == []  # every claim, "forced" too
    with Exerciser.open(scratch, claims) as ex:
        return {
            "refused": cross_tenant_references_are_refused(ex),
            "lookups": lookups_work_before_a_tenant_is_set(ex, spec),
            "reused": deleted_keys_can_be_used_again(ex),
            "forced": forced_tables_filter_their_owner(ex),
            "overlaps": overlaps_are_refused(ex),
        }


# What each spec must exercise: cross-tenant references tried, lookups before a tenant,
# live-only unique keys re-used after a soft delete, forced tables read by their owner,
# no-overlap rules tried.
EXPECTED = {
    "task-tracker": {"refused": 8, "lookups": 1, "reused": 1, "forced": 7, "overlaps": 0},
    "clinic-booking": {"refused": 0, "lookups": 0, "reused": 2, "forced": 4, "overlaps": 1},
    "crm-saas": {"refused": 1, "lookups": 0, "reused": 0, "forced": 3, "overlaps": 0},
    "helpdesk": {"refused": 7, "lookups": 2, "reused": 3, "forced": 6, "overlaps": 0},
    "school": {"refused": 5, "lookups": 2, "reused": 4, "forced": 5, "overlaps": 0},
    "telehealth": {"refused": 3, "lookups": 1, "reused": 1, "forced": 4, "overlaps": 0},
    "coworking": {"refused": 3, "lookups": 0, "reused": 0, "forced": 5, "overlaps": 2},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_compiled_schema_is_tenant_safe_for_the_application_role(
    scratch: Scratch, name: str
) -> None:
    spec = _spec(name)
    design = compile_schema(spec)
    assert _exercise(scratch, spec, design.ddl, design.claims) == EXPECTED[name]


@pytest.mark.parametrize("path", NEW_SPECS, ids=lambda p: p.stem)
def test_a_new_spec_designs_through_every_gate_and_its_package_is_tenant_safe(
    tmp_path: Path, pg: PgServer, scratch: Scratch, path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", sample_row_cap=20_000)
    ctx = RunContext(brain=RulesBrain(settings), settings=settings, sink=lambda _: None)
    ctx._pg = pg
    outcome = asyncio.run(run_design(DesignRequest(spec=load_spec(path)), ctx))
    assert outcome.status == "done", outcome.message
    pkg = outcome.package
    assert pkg is not None and pkg.schema_design is not None and pkg.indexes is not None
    assert all(c.passed for c in pkg.checks)
    assert {c.gate for c in pkg.checks if c.stage == "schema"} >= {"claims_hold"}
    claims = [*pkg.schema_design.claims, *pkg.indexes.claims]
    ddl = pkg.schema_design.ddl + "\n" + pkg.indexes.ddl
    assert _exercise(scratch, pkg.spec or load_spec(path), ddl, claims) == EXPECTED[path.stem]
