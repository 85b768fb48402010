"""The shape every application check shares: probe each named table, list what failed."""

from __future__ import annotations

from collections.abc import Callable

from evals.application.database import AppDatabase
from evals.registry import Grade, bad, listing, ok
from evals.subject import Subject
from tools.errors import ArchitectError

Probe = Callable[[AppDatabase, str], tuple[str | None, str]]  # (problem, or what passed)


class NotProbed(ArchitectError):
    """A named table the probe cannot try: no tenant key, no rows, no such column."""


def each_target(subject: Subject, names: list[str], probe: Probe) -> Grade:
    db = subject.app()
    problems: list[str] = []
    passed: list[str] = []
    for name in names:
        try:
            problem, detail = probe(db, name)
        except NotProbed as exc:
            problem, detail = str(exc), ""
        if problem:
            problems.append(problem)
        else:
            passed.append(detail)
    return bad(listing(problems)) if problems else ok("; ".join(passed))
