"""Mermaid ERD: every table, key marks, cardinality from constraints, and output Mermaid parses."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from evals.report.mermaid import install_mermaid, mermaid_folder
from tools.erd import attribute_word, render_erd
from tools.sql.model import Schema
from tools.sql.parse import parse_schema

REVIEW = FIXTURES / "review"
JSDOM_VERSION = "29.1.1"

# The shapes of line render_erd may produce, written from Mermaid's erDiagram grammar.
_ENTITY = r'"[^"%\\\r\n]+"'
_WORD = r"(?:[*A-Za-z_\u00C0-\uFFFF][A-Za-z0-9\-_\[\]().,\u00C0-\uFFFF*]*|`[^`]+`)"
_LINE_SHAPES = [
    re.compile(r"erDiagram"),
    re.compile(rf"    {_ENTITY} \{{"),
    re.compile(rf"        {_WORD} {_WORD}(?: (?:PK|FK|UK)(?:, (?:PK|FK|UK))*)?"),
    re.compile(r"    \}"),
    re.compile(rf'    {_ENTITY} (?:\|\||\|o)(?:--|\.\.)(?:o\{{|o\|) {_ENTITY} : "[^"]*"'),
]


def assert_strict_shape(text: str) -> None:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "erDiagram"
    for line in lines:
        assert any(shape.fullmatch(line) for shape in _LINE_SHAPES), line


def entities(text: str) -> list[str]:
    return re.findall(r'^    "([^"]+)" \{$', text, re.MULTILINE)


def relationships(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if " : " in line}


def erd_of(path: Path) -> str:
    return render_erd(parse_schema(path))


def test_sound_schema_diagram() -> None:
    text = erd_of(REVIEW / "sound.sql")
    assert_strict_shape(text)
    schema = parse_schema(REVIEW / "sound.sql")
    assert entities(text) == list(schema.tables)
    assert relationships(text) == {
        '"companies" ||..o{ "users" : "company_id"',
        '"users" ||--o| "user_profiles" : "user_id"',  # 1:1, identifying
        '"companies" ||..o{ "projects" : "company_id"',
        '"users" |o..o{ "projects" : "owner_id"',  # nullable FK
        '"projects" ||..o{ "tasks" : "project_id"',
        '"tasks" ||--o{ "task_assignees" : "task_id"',
        '"users" ||--o{ "task_assignees" : "user_id"',
        '"companies" ||..o{ "invoices" : "company_id"',
        '"companies" ||..o{ "activity" : "company_id"',  # drawn once, not per partition
    }
    assert "        bigint user_id PK, FK\n" in text
    assert "        bigint company_id FK, UK\n" in text  # member of UNIQUE (company_id, email)
    assert "        numeric(19,4) budget\n" in text
    assert "        project_status status\n" in text
    assert "        timestamptz created_at\n" in text


def test_awkward_names_are_escaped_consistently() -> None:
    schema = parse_schema(
        """
        CREATE TYPE "my type" AS ENUM ('a');
        CREATE TABLE "Order Items" (pk int PRIMARY KEY, "first name" text, fk_x "my type",
                                    "uk" int UNIQUE, "quote""d" varchar(10), "end" int);
        CREATE TABLE "100%" (id int PRIMARY KEY, item int NOT NULL UNIQUE
                             REFERENCES "Order Items");
        CREATE TABLE "end" (id int PRIMARY KEY, "x~y~z" timestamp(3) with time zone);
        """,
        "awkward.sql",
    )
    text = render_erd(schema)
    assert_strict_shape(text)
    assert entities(text) == ["Order Items", "100_", "end"]
    assert "        int4 `pk` PK\n" in text or "        integer `pk` PK\n" in text
    assert "`first name`" in text and "`uk` UK" in text and '`quote"d`' in text
    assert '"Order Items" ||..o| "100_" : "item"' in text
    assert "timestamptz(3) `x~y~z`" in text


def test_attribute_word_rules() -> None:
    assert attribute_word("varchar(255)") == "varchar(255)"
    assert attribute_word("numeric(19,4)") == "numeric(19,4)"
    assert attribute_word("text[]") == "text[]"
    assert attribute_word("PK") == "`PK`"
    assert attribute_word("fk-x") == "`fk-x`"
    assert attribute_word("fk_x") == "fk_x"
    assert attribute_word("9lives") == "`9lives`"
    assert attribute_word("a`b") == "`a'b`"


@pytest.mark.parametrize(
    "name", ["pagila-schema.sql", "chinook-postgresql.sql", "openstreetmap-structure.sql"]
)
def test_corpus_diagrams_have_every_table_and_reference(name: str) -> None:
    schema = parse_schema(CORPUS / name)
    text = render_erd(schema)
    assert_strict_shape(text)
    assert entities(text) == list(schema.tables)
    drawn = [line for line in text.splitlines() if " : " in line]
    # each FOREIGN KEY of the file is one line (pagila's payment declares its FKs on some
    # partitions only, so those are drawn from the partitions)
    assert len(drawn) == (CORPUS / name).read_text(encoding="utf-8").count("FOREIGN KEY")
    assert len(set(drawn)) == len(drawn)


def test_empty_schema() -> None:
    assert render_erd(Schema()) == "erDiagram\n"


@pytest.fixture(scope="session")
def mermaid_checker() -> Path:
    """The real mermaid parser, installed once from npm into the cache (no browser needed);
    the same folder report.html takes its Mermaid library from."""
    folder = mermaid_folder()
    modules = folder / "node_modules"
    if not (modules / "mermaid").exists() or not (modules / "jsdom").exists():
        install_mermaid(folder, f"jsdom@{JSDOM_VERSION}")
    script = folder / "mermaid_parse.mjs"
    shutil.copyfile(FIXTURES / "erd" / "mermaid_parse.mjs", script)
    return script


def test_real_mermaid_parses_every_diagram(mermaid_checker: Path, tmp_path: Path) -> None:
    sources = [CORPUS / n for n in sorted(os.listdir(CORPUS)) if n.endswith(".sql")]
    sources += [REVIEW / "sound.sql", REVIEW / "planted.sql"]
    files = []
    for source in sources:
        target = tmp_path / f"{source.stem}.mmd"
        target.write_text(erd_of(source), encoding="utf-8")
        files.append(str(target))
    awkward = tmp_path / "awkward.mmd"
    awkward.write_text(
        render_erd(
            parse_schema(
                'CREATE TABLE "a b" (pk int PRIMARY KEY, "x y" text, "Uk" int UNIQUE);'
                'CREATE TABLE "end" (id int PRIMARY KEY, r int REFERENCES "a b");'
                'CREATE TABLE "one" (id int PRIMARY KEY REFERENCES "end");'
            )
        )
    )
    periods = tmp_path / "periods.mmd"  # EXCLUDE columns carry a comment
    periods.write_text(
        render_erd(
            parse_schema(
                "CREATE TABLE rooms (id int PRIMARY KEY);"
                "CREATE TABLE bookings (id int PRIMARY KEY, room_id int REFERENCES rooms,"
                " starts_at timestamptz, ends_at timestamptz, deleted_at timestamptz,"
                " EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&)"
                " WHERE (deleted_at IS NULL));"
            )
        )
    )
    assert '"no overlap per room_id among some rows"' in periods.read_text()  # live rows only
    broken = tmp_path / "broken.mmd"
    broken.write_text("erDiagram\n    a {\n        int pk\n    }\n")
    files += [str(awkward), str(periods), str(broken)]
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(mermaid_checker), *files], capture_output=True, text=True, timeout=120
    )
    results = json.loads(done.stdout)
    assert results.pop(str(broken)) != "ok"  # the checker does reject bad diagrams
    assert results == dict.fromkeys(results, "ok")
    assert len(results) == len(sources) + 2
