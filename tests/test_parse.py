"""parse_schema on real dumps, migration folders and hand-written DDL, checked field by field."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from tools.errors import SqlSyntaxError
from tools.sql.model import Schema
from tools.sql.parse import parse_schema

SQL = FIXTURES / "sql"


@pytest.fixture(scope="module")
def pagila() -> Schema:
    return parse_schema(CORPUS / "pagila-schema.sql")


def test_pagila_tables_including_every_partition(pagila: Schema) -> None:
    assert len(pagila.tables) == 71
    partitions = [t for t in pagila.tables.values() if t.partition_of == "payment"]
    assert len(partitions) == 55
    payment = pagila.tables["payment"]
    assert payment.partition_by == "RANGE (payment_date)"
    assert payment.primary_key == ["payment_date", "payment_id"]
    assert pagila.tables["payment_p2022_01"].column_names == payment.column_names


def test_pagila_columns_types_defaults(pagila: Schema) -> None:
    film = pagila.tables["film"]
    film_id = film.column("film_id")
    assert film_id is not None
    assert (film_id.type, film_id.base_type, film_id.nullable, film_id.identity) == (
        "integer",
        "int4",
        False,
        True,
    )
    rate = film.column("rental_rate")
    assert rate is not None
    assert (rate.type, rate.type_mods, rate.default) == ("numeric(4,2)", (4, 2), "4.99")
    rating = film.column("rating")
    assert rating is not None and rating.type == "mpaa_rating"
    features = film.column("special_features")
    assert features is not None and (features.type, features.is_array) == ("text[]", True)
    release_year = film.column("release_year")
    assert release_year is not None and release_year.type == "year"
    last_update = film.column("last_update")
    assert last_update is not None
    assert (last_update.type, last_update.default) == ("timestamp with time zone", "now()")


def test_pagila_virtual_generated_column(pagila: Schema) -> None:
    length_hours = pagila.tables["film"].column("length_hours")
    assert length_hours is not None
    assert length_hours.generated == "round(length / 60.0, 2)"
    assert length_hours.line == 453


def test_pagila_foreign_keys_keep_their_actions(pagila: Schema) -> None:
    film_fks = {fk.name: fk for fk in pagila.tables["film"].foreign_keys}
    language = film_fks["film_language_id_fkey"]
    assert (language.columns, language.ref_table, language.ref_columns) == (
        ["language_id"],
        "language",
        ["language_id"],
    )
    assert (language.on_delete, language.on_update) == ("RESTRICT", "CASCADE")
    partition_fk = pagila.tables["payment_p2022_01"].foreign_keys[0]
    assert (partition_fk.ref_table, partition_fk.on_delete) == ("customer", "NO ACTION")
    assert {t.name for t, _ in pagila.referencing("language")} == {"film"}


def test_pagila_types_domains_views_functions(pagila: Schema) -> None:
    assert pagila.enums["mpaa_rating"].values == ["G", "PG", "PG-13", "R", "NC-17"]
    assert pagila.domains["bıgınt"].base_type == "bigint"
    assert pagila.domains["year"].base_type == "integer"
    assert pagila.views["rental_by_category"].materialized is True
    assert pagila.views["actor_info"].materialized is False
    assert "film_in_stock" in pagila.functions
    assert pagila.extensions == ["vector"]
    indexes = {i.name: i for i in pagila.tables["film"].indexes}
    assert indexes["film_fulltext_idx"].method == "gist"
    unique = {i.name: i for i in pagila.tables["rental"].indexes}[
        "idx_unq_rental_rental_date_inventory_id_customer_id"
    ]
    assert unique.unique and unique.keys == ["rental_date", "inventory_id", "customer_id"]


def test_pagila_keeps_every_statement_for_validation(pagila: Schema) -> None:
    kinds = [s.kind for s in pagila.statements]
    assert len(kinds) == 388
    assert (kinds.count("AlterOwnerStmt"), kinds.count("VariableSetStmt")) == (14, 11)
    first = pagila.statements[0]
    assert (first.line, first.column, first.sql) == (8, 1, "SET statement_timeout = 0")


def test_chinook_and_openstreetmap_parse() -> None:
    chinook = parse_schema(CORPUS / "chinook-postgresql.sql")
    assert len(chinook.tables) == 11
    assert [s.text for s in chinook.skipped] == ["\\c chinook;"]
    album = chinook.tables["album"]
    assert album.primary_key == ["album_id"]
    title = album.column("title")
    assert title is not None and title.type == "character varying(160)"
    osm = parse_schema(CORPUS / "openstreetmap-structure.sql")
    assert len(osm.tables) == 57
    zone = osm.tables["moderation_zones"].column("zone")
    assert zone is not None and zone.base_type == "geometry"
    ends_at = osm.tables["moderation_zones"].column("ends_at")
    assert ends_at is not None and ends_at.type == "timestamp(6) without time zone"
    assert osm.extensions == ["btree_gist", "postgis"]


def test_migration_folder_applies_files_in_natural_order() -> None:
    schema = parse_schema(SQL / "migrations_ok")
    accounts = schema.tables["accounts"]
    created_at = accounts.column("created_at")
    assert created_at is not None and created_at.type == "timestamp with time zone"
    assert accounts.column_names == ["id", "email", "created_at", "display_name"]
    assert schema.enums["order_status"].values == ["new", "paid", "shipped"]
    orders = schema.tables["orders"]
    assert orders.foreign_keys[0].on_delete == "CASCADE"
    assert orders.checks[0].expression == "total >= 0" and orders.checks[0].columns == ["total"]
    assert [i.name for i in orders.indexes] == ["orders_account_id_idx"]
    assert {Path(s.file or "").name for s in schema.statements} == {
        "1_create_accounts.sql",
        "2_create_orders.sql",
        "10_alter_accounts.sql",
    }


def test_syntax_error_in_second_file_names_file_line_and_column() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_schema(SQL / "migrations_syntax")
    error = caught.value.to_dict()
    assert Path(error["file"]).name == "2_add_orders.sql"
    assert (error["line"], error["column"]) == (11, 40)
    assert error["message"] == 'syntax error at or near "NUL"'
    assert str(caught.value).endswith('2_add_orders.sql:11:40: syntax error at or near "NUL"')


def test_type_spellings_are_normalised() -> None:
    schema = parse_schema(
        """CREATE TABLE t (
            a int, b int4, c integer, d varchar(255), e character varying(255),
            f timestamp, g timestamptz, h timestamp(3) with time zone, i numeric(19,4),
            j decimal, k double precision, l float4, m bool, n char(2), o int[],
            p serial, q bigserial, r pg_catalog.int8, s public.mood, t audit.kind,
            u interval day to second, v "Quoted Type"
        )"""
    )
    columns = schema.tables["t"].columns
    seen = [(c.name, c.type, c.base_type) for c in columns]
    assert seen == [
        ("a", "integer", "int4"),
        ("b", "integer", "int4"),
        ("c", "integer", "int4"),
        ("d", "character varying(255)", "varchar"),
        ("e", "character varying(255)", "varchar"),
        ("f", "timestamp without time zone", "timestamp"),
        ("g", "timestamp with time zone", "timestamptz"),
        ("h", "timestamp(3) with time zone", "timestamptz"),
        ("i", "numeric(19,4)", "numeric"),
        ("j", "numeric", "numeric"),
        ("k", "double precision", "float8"),
        ("l", "real", "float4"),
        ("m", "boolean", "bool"),
        ("n", "character(2)", "bpchar"),
        ("o", "integer[]", "int4"),
        ("p", "integer", "int4"),
        ("q", "bigint", "int8"),
        ("r", "bigint", "int8"),
        ("s", "mood", "mood"),
        ("t", "audit.kind", "audit.kind"),
        ("u", "interval", "interval"),
        ("v", "Quoted Type", "Quoted Type"),
    ]
    p = schema.tables["t"].column("p")
    assert p is not None and p.identity and not p.nullable


def test_alter_rename_and_drop_are_applied_in_order() -> None:
    schema = parse_schema(
        """
        CREATE SCHEMA audit;
        CREATE TABLE "Accounts" (id bigint PRIMARY KEY, email text, legacy int);
        CREATE TABLE audit.events (
            id int CONSTRAINT events_pk PRIMARY KEY,
            account_id bigint REFERENCES "Accounts" ON DELETE SET NULL,
            at timestamp
        );
        CREATE INDEX events_at ON audit.events (at DESC NULLS LAST) INCLUDE (id)
            WHERE at > '2020-01-01';
        ALTER TABLE "Accounts" RENAME COLUMN email TO mail;
        ALTER TABLE "Accounts" RENAME TO accounts;
        ALTER TABLE accounts DROP COLUMN legacy, ALTER COLUMN mail SET NOT NULL;
        ALTER TABLE audit.events ALTER COLUMN at TYPE timestamptz, DROP CONSTRAINT events_pk;
        ALTER TABLE ONLY audit.events ADD CONSTRAINT events_at_key UNIQUE (at);
        CREATE UNIQUE INDEX accounts_lower_mail ON accounts USING btree (lower(mail));
        ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
        CREATE TABLE scratch (a int);
        DROP TABLE scratch;
        DROP INDEX audit.events_at;
        CREATE TYPE mood AS ENUM ('sad');
        DROP TYPE mood;
        """,
        "inline.sql",
    )
    assert list(schema.tables) == ["accounts", "audit.events"]
    accounts = schema.tables["accounts"]
    assert accounts.column_names == ["id", "mail"]
    mail = accounts.column("mail")
    assert mail is not None and not mail.nullable
    assert accounts.row_level_security
    index = accounts.indexes[0]
    assert (index.unique, index.keys, index.method) == (True, ["(lower(mail))"], "btree")
    events = schema.tables["audit.events"]
    assert events.primary_key == []
    assert events.foreign_keys[0].ref_table == "accounts"
    assert events.foreign_keys[0].on_delete == "SET NULL"
    assert [u.name for u in events.uniques] == ["events_at_key"]
    at = events.column("at")
    assert at is not None and at.type == "timestamp with time zone"
    assert events.indexes == []
    assert schema.enums == {}
    assert len(schema.statements) == 16


def test_index_details_are_deparsed() -> None:
    schema = parse_schema(
        """CREATE TABLE docs (id int, body text, meta jsonb, deleted_at timestamptz);
        CREATE INDEX docs_partial ON docs USING gin (to_tsvector('english', body))
            WHERE deleted_at IS NULL;
        CREATE INDEX docs_meta ON docs ((meta ->> 'kind') text_pattern_ops DESC, id)
            INCLUDE (body);"""
    )
    partial, meta = schema.tables["docs"].indexes
    assert partial.method == "gin"
    assert partial.elements[0].expression == "to_tsvector('english', body)"
    assert partial.where == "deleted_at IS NULL"
    first = meta.elements[0]
    assert (first.expression, first.opclass, first.descending) == (
        "meta ->> 'kind'",
        "text_pattern_ops",
        True,
    )
    assert meta.keys == ["(meta ->> 'kind')", "id"] and meta.include == ["body"]


def test_like_inherits_and_partition_of() -> None:
    schema = parse_schema(
        """CREATE TABLE base (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),
               CHECK (id > 0));
        CREATE TABLE copy (LIKE base INCLUDING ALL, extra text);
        CREATE TABLE bare (LIKE base);
        CREATE TABLE measurements (at timestamptz NOT NULL, v float8) PARTITION BY RANGE (at);
        CREATE TABLE measurements_2024 PARTITION OF measurements
            FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"""
    )
    copy = schema.tables["copy"]
    assert copy.column_names == ["id", "at", "extra"]
    assert copy.primary_key == ["id"] and len(copy.checks) == 1
    bare = schema.tables["bare"]
    bare_at = bare.column("at")
    assert bare_at is not None and bare_at.default is None and not bare_at.nullable
    assert bare.primary_key == [] and bare.checks == []
    part = schema.tables["measurements_2024"]
    assert part.partition_of == "measurements" and part.column_names == ["at", "v"]
