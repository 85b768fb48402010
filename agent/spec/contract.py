"""The tables and columns a spec promises by the naming contract, before any design exists.

This is what access-pattern SQL may rely on: entity tables with `id`, reference columns,
attributes and timestamps; join tables for many-to-many relationships. Brains add to it
(tenant keys, `deleted_at`, audit tables); they never rename it. Conflicts found while
resolving (two columns of one name, a required self-reference) are returned as problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agent.naming import fk_column, join_table_name, singular, table_name
from agent.spec.model import Attribute, Entity, Relationship, Requirements

SpecPath = tuple[str | int, ...]
Role = Literal["key", "attribute", "reference", "timestamp"]


@dataclass(frozen=True)
class Problem:
    """Something wrong in a spec, at a path into it (mapped to line/column by the loader)."""

    path: SpecPath
    message: str
    at_key: bool = False  # point at the key itself (unknown or badly named keys)
    offset: int | None = None  # a character inside the scalar at `path` (SQL errors)


@dataclass
class ContractColumn:
    name: str
    role: Role
    attribute: Attribute | None = None
    ref_entity: str | None = None  # for references: the entity (its table is plural)
    optional: bool = False
    on_delete: str | None = None
    unique: bool = False
    path: SpecPath = ()

    @property
    def ref_table(self) -> str | None:
        return table_name(self.ref_entity) if self.ref_entity else None


@dataclass
class ContractTable:
    name: str
    owner: str  # singular name, the prefix of this table's enum types
    kind: Literal["entity", "join"]
    columns: list[ContractColumn] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=lambda: ["id"])
    uniques: list[list[str]] = field(default_factory=list)
    entity: Entity | None = None
    relationship: Relationship | None = None
    path: SpecPath = ()

    def column(self, name: str) -> ContractColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class Contract:
    tables: dict[str, ContractTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def for_entity(self, entity: str) -> ContractTable | None:
        return self.tables.get(table_name(entity))


def resolve_contract(spec: Requirements) -> Contract:
    """Entity tables first (spec order), then join tables; problems collected, not raised."""
    contract = Contract()
    known = {e.name for e in spec.entities}
    for index, entity in enumerate(spec.entities):
        _add_table(contract, _entity_table(entity, index, known, contract.problems))
    for index, rel in enumerate(spec.relationships):
        if rel.from_ not in known or rel.to not in known:
            continue  # reported by the reference checks
        if rel.kind == "many-to-many":
            _add_table(contract, _join_table(rel, index, contract.problems))
        else:
            _add_relationship_reference(contract, rel, index)
    return contract


def _add_table(contract: Contract, table: ContractTable) -> None:
    if table.name in contract.tables:
        contract.problems.append(
            Problem(table.path, f"two definitions make the table '{table.name}'")
        )
        return
    contract.tables[table.name] = table


def _entity_table(
    entity: Entity, index: int, known: set[str], problems: list[Problem]
) -> ContractTable:
    path: SpecPath = ("entities", index)
    table = ContractTable(table_name(entity.name), entity.name, "entity", entity=entity, path=path)
    declared_id = entity.attributes.get("id")
    table.columns.append(ContractColumn("id", "key", declared_id, path=(*path, "attributes", "id")))
    for ref_index, ref in enumerate(entity.belongs_to):
        column = _reference_column(entity.name, ref.entity, ref.as_)
        ref_path = (*path, "belongs_to", ref_index)
        if ref.entity == entity.name and not ref.optional and ref.entity in known:
            problems.append(
                Problem(
                    ref_path,
                    f"'{entity.name}' belongs to itself as a required reference: "
                    "the first row could never be inserted; make it optional",
                )
            )
        _append(
            table,
            ContractColumn(
                column, "reference", None, ref.entity, ref.optional, ref.on_delete, path=ref_path
            ),
            problems,
        )
    for name, attribute in entity.attributes.items():
        _add_attribute(table, name, attribute, known, (*path, "attributes", name), problems)
    for stamp in ("created_at", "updated_at"):
        if table.column(stamp) is None:
            table.columns.append(ContractColumn(stamp, "timestamp", path=path))
    table.uniques = [list(u) for u in entity.unique]
    return table


def _reference_column(owner: str, parent: str, role: str | None) -> str:
    """`<parent>_id`; a role renames it (`reporter_id`); a self-reference is `parent_id`."""
    if role:
        return fk_column(role)
    return "parent_id" if parent == owner else fk_column(parent)


def _add_attribute(
    table: ContractTable,
    name: str,
    attribute: Attribute,
    known: set[str],
    path: SpecPath,
    problems: list[Problem],
) -> None:
    """An attribute named like a reference (`project_id`) to a known entity *is* that reference."""
    if name == "id":
        return
    existing = table.column(name)
    if name in ("created_at", "updated_at"):
        table.columns.append(ContractColumn(name, "timestamp", attribute, path=path))
        return
    if existing is not None and existing.role == "reference":
        existing.attribute = attribute
        return
    target = name[:-3] if name.endswith("_id") else None
    if target in known and attribute.kind in ("int", "bigint", "uuid"):
        column = ContractColumn(
            name, "reference", attribute, target, not attribute.required, path=path
        )
        _append(table, column, problems)
        return
    _append(table, ContractColumn(name, "attribute", attribute, path=path), problems)


def _append(table: ContractTable, column: ContractColumn, problems: list[Problem]) -> None:
    if table.column(column.name) is not None:
        problems.append(
            Problem(
                column.path,
                f"table '{table.name}' would get the column '{column.name}' "
                "twice; give one of the references a role with `as`",
            )
        )
        return
    table.columns.append(column)


def _join_table(rel: Relationship, index: int, problems: list[Problem]) -> ContractTable:
    path: SpecPath = ("relationships", index)
    name = join_table_name(rel.from_, rel.as_, rel.to)
    owner = singular(name)
    left = fk_column(rel.from_)
    right = fk_column(rel.to)
    if right == left:  # a self relation: `user_followers (user_id, follower_id)`
        right = fk_column(singular(rel.as_)) if rel.as_ else f"related_{left}"
    table = ContractTable(
        name, owner, "join", relationship=rel, path=path, primary_key=[left, right]
    )
    table.columns.append(
        ContractColumn(left, "reference", None, rel.from_, on_delete="cascade", path=path)
    )
    table.columns.append(
        ContractColumn(right, "reference", None, rel.to, on_delete="cascade", path=path)
    )
    for attr_name, attribute in rel.attributes.items():
        attr_path = (*path, "attributes", attr_name)
        _append(table, ContractColumn(attr_name, "attribute", attribute, path=attr_path), problems)
    if table.column("created_at") is None:
        table.columns.append(ContractColumn("created_at", "timestamp", path=path))
    return table


def _add_relationship_reference(contract: Contract, rel: Relationship, index: int) -> None:
    """one-to-many / one-to-one: the `to` side holds the reference; many-to-one: `from`."""
    holder, parent = (rel.from_, rel.to) if rel.kind == "many-to-one" else (rel.to, rel.from_)
    table = contract.for_entity(holder)
    if table is None:
        return
    name = _reference_column(holder, parent, rel.as_)
    existing = table.column(name)
    path: SpecPath = ("relationships", index)
    if existing is not None:
        if existing.role != "reference" or existing.ref_entity != parent:
            contract.problems.append(
                Problem(
                    path,
                    f"relationship column '{table.name}.{name}' clashes with an "
                    "attribute of that name",
                )
            )
        elif rel.kind == "one-to-one":
            existing.unique = True
        return
    table.columns.insert(
        _after_references(table),
        ContractColumn(
            name,
            "reference",
            None,
            parent,
            rel.optional,
            rel.on_delete,
            unique=rel.kind == "one-to-one",
            path=path,
        ),
    )


def _after_references(table: ContractTable) -> int:
    """Insert new references after `id` and the other references, before the attributes."""
    position = 1
    while position < len(table.columns) and table.columns[position].role == "reference":
        position += 1
    return position
