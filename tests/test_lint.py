"""Lint rules on real parsed SQL: planted defects fire where planted, sound designs stay clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from tools.sql.parse import parse_schema
from tools.sql.review import lint_schema, rules
from tools.sql.review.lint import RULE_IDS
from tools.sql.rules import Finding
from tools.sql.rules.types import is_money_name

REVIEW = FIXTURES / "review"


def lint_file(path: Path) -> list[Finding]:
    return lint_schema(parse_schema(path))


def lint_sql(sql: str) -> list[Finding]:
    return lint_schema(parse_schema(sql, "test.sql"))


def fired(findings: list[Finding]) -> set[tuple[str, str | None, str | None]]:
    return {(f.rule, f.table, f.column) for f in findings}


def test_catalogue_lists_the_documented_ids_with_explanations() -> None:
    assert [r.id for r in rules()] == list(RULE_IDS)
    assert len(RULE_IDS) == 10
    for r in rules():
        assert r.severity in {"error", "warning", "info"}
        assert r.summary.endswith(".") and len(r.summary) > 40
        assert r.fix


def test_planted_defects_fire_on_their_tables_and_nowhere_else() -> None:
    findings = lint_file(REVIEW / "planted.sql")
    assert fired(findings) == {
        ("missing-primary-key", "audit_log", None),
        ("fk-without-index", "orders", "customer_id"),
        ("missing-foreign-key", "invoices", "order_id"),
        ("eav-table", "customer_attributes", "value"),
        ("stringly-typed-status", "shipments", "status"),
        ("timestamp-without-time-zone", "events", "occurred_at"),
        ("float-for-money", "payments", "amount"),
        ("redundant-index", "products", "sku"),
        ("low-selectivity-index", "tickets", "priority"),
        ("naming-convention", "OrderNotes", None),
    }
    errors = {(f.rule, f.table) for f in findings if f.severity == "error"}
    assert errors == {
        ("missing-primary-key", "audit_log"),
        ("eav-table", "customer_attributes"),
        ("float-for-money", "payments"),
    }


def test_planted_findings_carry_line_file_and_fix() -> None:
    by_rule = {f.rule: f for f in lint_file(REVIEW / "planted.sql")}
    money = by_rule["float-for-money"]
    assert money.line == 66 and money.file is not None and money.file.endswith("planted.sql")
    assert money.fix is not None and "numeric" in money.fix
    assert by_rule["fk-without-index"].line == 23
    assert by_rule["redundant-index"].line == 77
    assert "products_sku_name_idx" in by_rule["redundant-index"].message


def test_sound_schema_has_no_findings() -> None:
    assert lint_file(REVIEW / "sound.sql") == []


def test_findings_are_ordered_errors_first() -> None:
    severities = [f.severity for f in lint_file(REVIEW / "planted.sql")]
    order = {"error": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=order.__getitem__)


def test_pagila_has_no_errors_and_its_real_gaps_are_found() -> None:
    findings = lint_file(CORPUS / "pagila-schema.sql")
    assert [f for f in findings if f.severity == "error"] == []
    found = fired(findings)
    assert ("fk-without-index", "film_category", "category_id") in found
    assert ("fk-without-index", "inventory", "film_id") in found
    # payment is partitioned: its partitions are never reported on their own
    assert not any(f.table and f.table.startswith("payment_p") for f in findings)
    # the FKs pagila declares on only some partitions leave the parent unreferenced
    assert ("missing-foreign-key", "payment", "customer_id") in found
    partial = next(f for f in findings if f.rule == "missing-foreign-key")
    assert partial.message.endswith("(declared on 6 of 55 partitions)")


def test_fks_declared_on_every_partition_count_for_the_parent() -> None:
    findings = lint_sql(
        """
        CREATE TABLE users (id bigint PRIMARY KEY);
        CREATE TABLE events (id bigint, user_id bigint, at date, PRIMARY KEY (id, at))
            PARTITION BY RANGE (at);
        CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
        CREATE TABLE events_b PARTITION OF events FOR VALUES FROM ('2025-07-01') TO ('2026-01-01');
        ALTER TABLE events_a ADD FOREIGN KEY (user_id) REFERENCES users (id);
        ALTER TABLE events_b ADD FOREIGN KEY (user_id) REFERENCES users (id);
        """
    )
    assert [f.rule for f in findings if f.rule == "missing-foreign-key"] == []


def test_chinook_has_no_errors_and_one_redundant_index() -> None:
    findings = lint_file(CORPUS / "chinook-postgresql.sql")
    assert [f for f in findings if f.severity == "error"] == []
    redundant = [f for f in findings if f.rule == "redundant-index"]
    assert [(f.table, f.column) for f in redundant] == [("playlist_track", "playlist_id")]
    assert "playlist_track_pkey" in redundant[0].message
    # customer.state is part of an address, not a lifecycle state
    assert not any(f.rule == "stringly-typed-status" for f in findings)


def test_openstreetmap_errors_only_on_the_table_without_any_key() -> None:
    findings = lint_file(CORPUS / "openstreetmap-structure.sql")
    errors = fired([f for f in findings if f.severity == "error"])
    assert errors == {("missing-primary-key", "gps_points", None)}
    keyless = [f for f in findings if f.table == "changesets_subscribers"]
    assert [(f.rule, f.severity) for f in keyless] == [("missing-primary-key", "warning")]


def test_fk_index_coverage_is_a_leading_prefix_test() -> None:
    findings = lint_sql(
        """
        CREATE TABLE p (id bigint PRIMARY KEY);
        CREATE TABLE a (id bigint PRIMARY KEY, p_id bigint REFERENCES p, x int);
        CREATE INDEX ON a (x, p_id);
        CREATE TABLE b (id bigint PRIMARY KEY, p_id bigint REFERENCES p, x int);
        CREATE INDEX ON b (p_id, x);
        CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p, live bool);
        CREATE INDEX ON c (p_id) WHERE live;
        CREATE TABLE d (p_id bigint REFERENCES p, k int, PRIMARY KEY (p_id, k));
        CREATE TABLE e (id bigint PRIMARY KEY, p_id bigint REFERENCES p);
        CREATE INDEX ON e USING brin (p_id);
        CREATE TABLE f (id bigint PRIMARY KEY, p_id bigint, q_id bigint,
                        FOREIGN KEY (p_id) REFERENCES p, UNIQUE (p_id, q_id));
        """
    )
    unindexed = {f.table for f in findings if f.rule == "fk-without-index"}
    assert unindexed == {"a", "c", "e"}


def test_missing_foreign_key_needs_a_matching_key_and_type() -> None:
    findings = lint_sql(
        """
        CREATE TABLE users (id bigint PRIMARY KEY);
        CREATE TABLE album (album_id int PRIMARY KEY, artist_id int);
        CREATE TABLE artist (artist_id int PRIMARY KEY);
        CREATE TABLE categories (id uuid PRIMARY KEY, parent_id uuid);
        CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint, category_id text,
                            editor_user_id bigint);
        CREATE TABLE profiles (user_id bigint PRIMARY KEY REFERENCES users);
        """
    )
    missing = {(f.table, f.column) for f in findings if f.rule == "missing-foreign-key"}
    # category_id is text but categories.id is uuid: not the same key
    assert missing == {("album", "artist_id"), ("posts", "user_id")}


def test_redundant_index_rules() -> None:
    findings = lint_sql(
        """
        CREATE TABLE t (id bigint PRIMARY KEY, a int, b int, c int, code text UNIQUE);
        CREATE INDEX t_id_idx ON t (id);
        CREATE UNIQUE INDEX t_id_key ON t (id);
        CREATE INDEX t_a_idx ON t (a);
        CREATE INDEX t_a_b_idx ON t (a, b);
        CREATE INDEX t_a_b_copy ON t (a, b);
        CREATE UNIQUE INDEX t_a_uq ON t (a) WHERE c = 1;
        CREATE INDEX t_a_live ON t (a) WHERE c > 0;
        CREATE INDEX t_b_hash ON t USING hash (b);
        CREATE INDEX t_b_c ON t (b, c);
        CREATE INDEX t_c_incl ON t (c) INCLUDE (b);
        CREATE INDEX t_c_d ON t (c, a);
        CREATE INDEX t_code_lower ON t (lower(code));
        """
    )
    redundant = {f.message.split("'")[1] for f in findings if f.rule == "redundant-index"}
    # duplicates of the PK (plain and unique), a prefix, and the later of two copies;
    # unique/partial/hash/INCLUDE/expression indexes enforce or serve something else
    assert redundant == {"t_id_idx", "t_id_key", "t_a_idx", "t_a_b_copy"}


def test_low_selectivity_only_for_leading_few_valued_columns_of_plain_btrees() -> None:
    findings = lint_sql(
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE t (id bigint PRIMARY KEY, active boolean, m mood, at timestamptz);
        CREATE INDEX t_active ON t (active);
        CREATE INDEX t_m_at ON t (m, at);
        CREATE INDEX t_at_m ON t (at, m);
        CREATE INDEX t_open ON t (at) WHERE active;
        CREATE INDEX t_active_partial ON t (active) WHERE m = 'sad';
        CREATE TABLE u (id bigint PRIMARY KEY, kind text CHECK (kind IN ('a', 'b')),
                        code text CHECK (code IN ('a', 'b', 'c', 'd', 'e', 'f')));
        CREATE INDEX u_kind ON u (kind);
        CREATE INDEX u_code ON u (code);
        """
    )
    hits = {(f.message.split("'")[1], f.severity) for f in findings}
    assert hits == {("t_active", "warning"), ("t_m_at", "info"), ("u_kind", "warning")}


@pytest.mark.parametrize(
    ("name", "money"),
    [
        ("price", True),
        ("unit_price", True),
        ("total_amount", True),
        ("amount", True),
        ("shipping_cost", True),
        ("balance", True),
        ("tax_rate", False),
        ("discount_percent", False),
        ("total_distance", False),
        ("amount_ml", False),
        ("latitude", False),
        ("weight", False),
        ("discount", False),  # Northwind's discount is a fraction
        ("discount_amount", True),
        ("freight", True),
    ],
)
def test_money_names(name: str, money: bool) -> None:
    assert is_money_name(name) is money


def test_float_for_money_only_on_float_money_columns() -> None:
    findings = lint_sql(
        """
        CREATE TABLE items (id bigint PRIMARY KEY, price real, cost numeric(12,2),
                            tax_rate float8, weight_kg float8, fee double precision);
        """
    )
    assert {f.column for f in findings if f.rule == "float-for-money"} == {"price", "fee"}


def test_status_rules_respect_checks_enums_lookups_and_addresses() -> None:
    findings = lint_sql(
        """
        CREATE TYPE st AS ENUM ('a', 'b');
        CREATE TABLE statuses (code text PRIMARY KEY);
        CREATE TABLE a (id int PRIMARY KEY, status text, order_status varchar(10),
                        state text, phase st);
        CREATE TABLE b (id int PRIMARY KEY, status text CHECK (status IN ('x', 'y')));
        CREATE TABLE c (id int PRIMARY KEY, status text REFERENCES statuses);
        CREATE INDEX ON c (status);
        CREATE TABLE addr (id int PRIMARY KEY, city text, state varchar(40));
        """
    )
    hits = {(f.table, f.column) for f in findings if f.rule == "stringly-typed-status"}
    assert hits == {("a", "status"), ("a", "order_status"), ("a", "state")}


def test_eav_shapes() -> None:
    findings = lint_sql(
        """
        CREATE TABLE things (id bigint PRIMARY KEY);
        CREATE TABLE thing_props (thing_id bigint REFERENCES things, attr_key text,
                                  attr_value varchar(200), PRIMARY KEY (thing_id, attr_key));
        CREATE TABLE thing_meta (id bigint PRIMARY KEY, thing_id bigint REFERENCES things,
                                 key text, value jsonb);
        CREATE INDEX ON thing_meta (thing_id);
        CREATE TABLE settings (key text PRIMARY KEY, value text);
        CREATE TABLE readings (id bigint PRIMARY KEY, thing_id bigint REFERENCES things,
                               name text, value double precision);
        CREATE INDEX ON readings (thing_id);
        """
    )
    eav = {(f.table, f.severity) for f in findings if f.rule == "eav-table"}
    assert eav == {("thing_props", "error"), ("thing_meta", "warning")}


def test_naming_convention() -> None:
    findings = lint_sql(
        """
        CREATE TABLE "user" (id int PRIMARY KEY, "createdAt" timestamptz, "order" int,
                             name text, "first name" text);
        CREATE TABLE ok_table (id int PRIMARY KEY, "timestamp" timestamptz);
        """
    )
    hits = {(f.table, f.column) for f in findings if f.rule == "naming-convention"}
    assert hits == {
        ("user", None),
        ("user", "createdAt"),
        ("user", "order"),
        ("user", "first name"),
    }


def test_partitioned_table_without_key_is_only_a_warning() -> None:
    findings = lint_sql(
        """
        CREATE TABLE readings (sensor_id bigint NOT NULL, at timestamptz NOT NULL, reading float8)
            PARTITION BY RANGE (at);
        CREATE TABLE readings_2025 PARTITION OF readings
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        """
    )
    assert [(f.rule, f.table, f.severity) for f in findings] == [
        ("missing-primary-key", "readings", "warning")
    ]


def test_partitions_are_not_reported_twice() -> None:
    findings = lint_sql(
        """
        CREATE TABLE m (id bigint, at timestamp NOT NULL, price float8, PRIMARY KEY (id, at))
            PARTITION BY RANGE (at);
        CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        """
    )
    assert {f.table for f in findings} == {"m"}
    assert {f.rule for f in findings} == {"timestamp-without-time-zone", "float-for-money"}
