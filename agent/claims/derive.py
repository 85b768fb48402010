"""Claims read off DDL text: the facts an index plan states, for any brain's plan.

An index recommendation is DDL plus the patterns it serves; its claim is parsed from that
DDL with PostgreSQL's grammar, so what the report says an index is and what `indexes.sql`
builds are the same statement. The package's index count is taken from the whole DDL the
same way (primary keys and unique constraints build indexes too).
"""

from __future__ import annotations

from collections.abc import Sequence

from pglast import ast
from pglast.stream import RawStream

from agent.claims.model import Claim, Count, IndexFact
from tools.sql.index_ddl import index_shape, parse_index
from tools.sql.parse import parse_schema


def index_fact(ddl: str, serves: Sequence[str] = ()) -> IndexFact:
    stmt = parse_index(ddl)
    table, keys = index_shape(ddl)
    where = stmt.whereClause
    return IndexFact(
        table=table,
        name=stmt.idxname or None,
        columns=keys,
        unique=bool(stmt.unique),
        method=(stmt.accessMethod or "btree").lower(),
        predicate=str(RawStream()(where)) if isinstance(where, ast.Node) else None,
        serves=list(serves),
    )


def index_count(ddl: str) -> int:
    """Indexes PostgreSQL builds for `ddl`: keys, unique constraints and CREATE INDEX, on
    tables (an index on a partitioned table counts once, not once per partition)."""
    schema = parse_schema(ddl)
    return sum(
        (1 if table.primary_key else 0) + len(table.uniques) + len(table.indexes)
        for table in schema.tables.values()
        if table.partition_of is None
    )


def index_claims(schema_ddl: str, recommended: Sequence[tuple[str, Sequence[str]]]) -> list[Claim]:
    """One claim per recommended index (DDL, patterns served), and the package's total."""
    claims: list[Claim] = [index_fact(ddl, serves) for ddl, serves in recommended]
    ddl = "\n".join([schema_ddl, *(d.rstrip().rstrip(";") + ";" for d, _ in recommended)])
    claims.append(Count(object="indexes", value=index_count(ddl)))
    return claims
