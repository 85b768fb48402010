"""The naming contract of DESIGN.md in one place: entity -> table, reference column, enum type.

Access-pattern SQL is written against these names before any design exists, so every stage
(and every brain) must derive them from here and nowhere else.
"""

from __future__ import annotations

import hashlib
import re

from tools.sql.nodes import quote_ident as quote_ident  # re-exported for the generators
from tools.sql.nodes import quote_literal as quote_literal

# Columns a spec's own switches add to an entity's table, named here because access patterns
# may use them: `soft_delete` -> `deleted_at`, `varying_attributes` -> `attributes` (jsonb).
SOFT_DELETE_COLUMN = "deleted_at"
RETIRED_SUFFIX = "__retired"  # a column or table renamed aside, its data kept until a purge
VARYING_COLUMN = "attributes"

# Irregular nouns a spec author plausibly uses as entity names; everything else follows the
# regular English rules below. Keys are singular.
_IRREGULAR = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "foot": "feet",
    "tooth": "teeth",
    "ox": "oxen",
    "criterion": "criteria",
    "phenomenon": "phenomena",
    "datum": "data",
    "medium": "media",
    "index": "indexes",
    "matrix": "matrices",
    "vertex": "vertices",
    "quiz": "quizzes",
    "leaf": "leaves",
    "half": "halves",
    "life": "lives",
    "wife": "wives",
    "knife": "knives",
    "shelf": "shelves",
    "thief": "thieves",
    "analysis": "analyses",
    "diagnosis": "diagnoses",
    "thesis": "theses",
    "crisis": "crises",
    "basis": "bases",
    "axis": "axes",
    "hero": "heroes",
    "potato": "potatoes",
    "echo": "echoes",
}
_SINGULAR = {plural_: singular_ for singular_, plural_ in _IRREGULAR.items()}

# Nouns whose plural is the word itself: "series" stays "series", "equipment" stays.
_UNCOUNTABLE = frozenset(
    {
        "equipment",
        "information",
        "metadata",
        "data",
        "feedback",
        "series",
        "species",
        "news",
        "sheep",
        "fish",
        "deer",
        "software",
        "hardware",
        "staff",
        "inventory_data",
        "telemetry",
        "media",
        "aircraft",
    }
)

# Singulars ending in -ie, whose plural (-ies) would otherwise be read as -y.
_IE_WORDS = frozenset(
    {
        "movie", "cookie", "calorie", "zombie", "rookie", "selfie", "hoodie",
        "pie", "tie", "genie", "prairie", "sortie", "smoothie", "auntie",
    }
)  # fmt: skip

_SNAKE_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def snake(name: str) -> str:
    """`OrderItem`, `order item` and `order-item` all become `order_item`."""
    spaced = _SNAKE_BOUNDARY.sub("_", name.strip())
    return _NON_WORD.sub("_", spaced.lower()).strip("_")


def _split_last(word: str) -> tuple[str, str]:
    """Only the last word of a compound is inflected: `line_item` -> (`line_`, `item`)."""
    head, sep, last = word.rpartition("_")
    return head + sep, last


def plural(word: str) -> str:
    """The English plural of a snake_case noun: `company` -> `companies`, `box` -> `boxes`."""
    head, last = _split_last(snake(word))
    if last in _UNCOUNTABLE or last in _SINGULAR:
        return head + last
    if last in _IRREGULAR:
        return head + _IRREGULAR[last]
    if re.search(r"[^aeiou]y$", last):
        return head + last[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", last):
        return head + last + "es"
    return head + last + "s"


def singular(word: str) -> str:
    """Inverse of `plural` for plural nouns (`companies` -> `company`, `statuses` -> `status`).

    Only call it on plurals: a singular that ends in s (`status`) has no reliable inverse.
    """
    head, last = _split_last(snake(word))
    if last in _UNCOUNTABLE or last in _IRREGULAR:
        return head + last
    if last in _SINGULAR:
        return head + _SINGULAR[last]
    if last[:-1] in _IE_WORDS:
        return head + last[:-1]
    if re.search(r"[^aeiou]ies$", last):
        return head + last[:-3] + "y"
    if re.search(r"(sses|[^oa]uses|xes|zzes|ches|shes)$", last) and not last.endswith("aches"):
        return head + last[:-2]
    if last.endswith("s") and not last.endswith("ss") and len(last) > 1:
        return head + last[:-1]
    return head + last


def table_name(entity: str) -> str:
    """Entity `appointment` is stored in table `appointments`."""
    return plural(entity)


def fk_column(entity: str) -> str:
    """A reference to entity `appointment` is the column `appointment_id`."""
    return f"{snake(entity)}_id"


def join_table_name(from_entity: str, as_name: str | None, to_entity: str) -> str:
    """`{from: task, to: user, as: assignees}` -> `task_assignees`; without `as`: `task_users`."""
    suffix = snake(as_name) if as_name else plural(to_entity)
    return f"{snake(from_entity)}_{suffix}"


def enum_type_name(owner: str, column: str) -> str:
    """The enum type for `tasks.status` is `task_status`: `<table singular>_<column>`.

    `owner` is the singular already (the entity name, or `singular()` of a join table), since
    a singular noun ending in s (`status`, `address`) cannot be singularised again safely.
    """
    return f"{snake(owner)}_{snake(column)}"


_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1


def object_name(*parts: str, suffix: str) -> str:
    """A constraint/index name like PostgreSQL's own (`tasks_project_id_idx`), kept <= 63."""
    name = "_".join([*parts, suffix])
    if len(name) <= _MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_IDENTIFIER - len(suffix) - 10]}_{digest}_{suffix}"
