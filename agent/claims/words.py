"""Small wording helpers shared by the claim sentences: lists, counts, articles."""

from __future__ import annotations

from collections.abc import Sequence


def listed(items: Sequence[str], quote: bool = False) -> str:
    """`a, b and c` (quoted with single quotes when `quote`)."""
    names = [f"'{i}'" if quote else i for i in items]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def many(count: int, noun: str) -> str:
    """`1 column`, `14 columns`."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def quantity(items: Sequence[str], noun: str) -> str:
    return many(len(items), noun)


def article(phrase: str) -> str:
    """`an index`, `a unique index`, `a GIN index`."""
    phrase = phrase.strip()
    return ("an " if phrase[:1].lower() in "aeio" else "a ") + phrase
