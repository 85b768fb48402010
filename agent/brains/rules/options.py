"""The storage options the technology matrix compares, rated 1-5 on each criterion, with why.

Ratings are fixed properties of each kind of store (what it is good at), written down once
so every decision cites the same reasons; the spec only changes how much each criterion
weighs (see `criteria.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.stages import StoreCategory


@dataclass(frozen=True)
class Option:
    category: StoreCategory
    product: str
    engine: str
    ratings: dict[str, tuple[int, str]]  # criterion id -> (score 1..5, reason)
    features: tuple[str, ...] = ()
    # Ratings that only hold when the data has the option's shape (criterion -> fallback).
    conditional: dict[str, tuple[int, str]] | None = None

    def rating(self, criterion: str, time_series_weight: float) -> tuple[int, str]:
        """The rating, or its fallback when the condition (time-series data) is absent."""
        if self.conditional and criterion in self.conditional and time_series_weight == 0:
            return self.conditional[criterion]
        return self.ratings[criterion]


RELATIONAL = Option(
    "relational",
    "PostgreSQL 18",
    "postgresql",
    {
        "relationships": (5, "foreign keys, joins and constraints are native"),
        "consistency": (5, "ACID transactions, serializable isolation available"),
        "query_flexibility": (5, "full SQL: ad-hoc joins, aggregates, window functions"),
        "write_rate": (3, "one primary takes writes; ~10k-50k small rows/s per node"),
        "scale": (3, "one node to a few TB; Citus-style sharding beyond"),
        "time_series": (2, "plain tables: retention by DELETE bloats, indexes grow unbounded"),
        "connectedness": (3, "recursive CTEs handle shallow traversals"),
        "schema_variability": (4, "jsonb columns with GIN indexes for open-ended attributes"),
        "operations": (5, "one mature store; managed everywhere; rich tooling"),
    },
    ("foreign keys", "transactions"),
)

TIME_SERIES = Option(
    "time-series",
    "PostgreSQL 18 with time-partitioned tables",
    "postgresql",
    {
        "relationships": (3, "series reference metadata tables; keys must include the time"),
        "consistency": (4, "ACID on the primary; partitions dropped atomically"),
        "query_flexibility": (3, "full SQL, but queries without a time range scan every partition"),
        "write_rate": (5, "append-only inserts into a small hot partition, batched COPY"),
        "scale": (4, "retention drops whole partitions; old ones can be archived"),
        "time_series": (5, "RANGE partitions by time with retention by DROP"),
        "connectedness": (2, "not meant for traversals"),
        "schema_variability": (3, "jsonb for sparse tags"),
        "operations": (3, "still one PostgreSQL, but partitions must be created and dropped"),
    },
    ("declarative RANGE partitioning by time", "retention by dropping partitions"),
    conditional={
        "write_rate": (3, "no time series here: time partitions do not speed up these writes"),
        "scale": (3, "no time series here: nothing to drop by age"),
    },
)

DOCUMENT = Option(
    "document",
    "MongoDB",
    "mongodb",
    {
        "relationships": (2, "references are not enforced; joins ($lookup) are costly"),
        "consistency": (3, "multi-document transactions exist but are not the default path"),
        "query_flexibility": (3, "rich single-collection queries; weak cross-collection joins"),
        "write_rate": (4, "sharded collections take high write rates"),
        "scale": (4, "built-in sharding"),
        "time_series": (3, "time-series collections"),
        "connectedness": (1, "no traversal support"),
        "schema_variability": (5, "schema-less documents"),
        "operations": (3, "a second store to run, back up and secure"),
    },
)

KEY_VALUE = Option(
    "key-value",
    "DynamoDB / Redis",
    "dynamodb",
    {
        "relationships": (1, "no relationships; access by key only"),
        "consistency": (2, "per-item atomicity; transactions limited and costly"),
        "query_flexibility": (1, "every query must be designed into the key schema up front"),
        "write_rate": (5, "horizontal partitioning by key, very high write rates"),
        "scale": (5, "scales out without limit"),
        "time_series": (2, "possible with composite sort keys, no time functions"),
        "connectedness": (1, "no traversal support"),
        "schema_variability": (3, "schema-less values"),
        "operations": (4, "managed; but a second store and access-pattern lock-in"),
    },
)

WIDE_COLUMN = Option(
    "wide-column",
    "Apache Cassandra / ScyllaDB",
    "cassandra",
    {
        "relationships": (1, "no joins or foreign keys; data duplicated per query"),
        "consistency": (2, "tunable, eventual by default; lightweight transactions are slow"),
        "query_flexibility": (1, "one table per query; partition key required in every read"),
        "write_rate": (5, "LSM storage, linear write scaling"),
        "scale": (5, "masterless, multi-region clusters"),
        "time_series": (4, "time-bucketed partitions with TTL"),
        "connectedness": (1, "no traversal support"),
        "schema_variability": (3, "maps and sparse columns"),
        "operations": (2, "cluster operations, repairs and compaction tuning"),
    },
)

GRAPH = Option(
    "graph",
    "Neo4j",
    "neo4j",
    {
        "relationships": (4, "relationships are first-class edges"),
        "consistency": (4, "ACID on a single instance"),
        "query_flexibility": (3, "Cypher pattern queries; weak at aggregates over large sets"),
        "write_rate": (2, "write throughput limited to one leader"),
        "scale": (2, "scales up, sharding is limited"),
        "time_series": (1, "not suited"),
        "connectedness": (5, "multi-hop traversals in constant time per hop"),
        "schema_variability": (3, "properties are schema-less"),
        "operations": (3, "a second store to run and keep in sync"),
    },
)

OPTIONS: tuple[Option, ...] = (RELATIONAL, TIME_SERIES, DOCUMENT, KEY_VALUE, WIDE_COLUMN, GRAPH)

# What PostgreSQL offers in place of each alternative, cited in its why-not.
POSTGRES_COUNTERPART: dict[str, str] = {
    "document": "jsonb columns with GIN indexes give per-row flexible attributes inside "
    "PostgreSQL, with foreign keys kept",
    "key-value": "primary-key lookups on PostgreSQL are sub-millisecond; a cache can be added "
    "for the hottest keys",
    "wide-column": "time or hash partitioning and, past one node, Citus-style sharding cover "
    "the volume without giving up joins",
    "graph": "recursive CTEs cover the shallow traversals in the access patterns",
    "time-series": "plain tables suffice: no entity is a high-volume time series",
    "relational": "",
}
