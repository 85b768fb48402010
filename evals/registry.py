"""The check registry: each grader registers under its name with the type of its argument.

Case files name checks (`- adrs_min: 4`); the loader looks the name up here and validates
the argument with pydantic before anything runs, so a typo or a wrong argument type is a
bad case file (exit 2), never a check that silently passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

if TYPE_CHECKING:
    from evals.subject import Subject


class Grade(NamedTuple):
    """What a check function returns: did it pass, and what a reader needs to know why."""

    passed: bool
    detail: str


def ok(detail: str) -> Grade:
    return Grade(True, detail)


def bad(detail: str) -> Grade:
    return Grade(False, detail)


_SHOWN = 5  # failures named in a detail before "... and N more"


def listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" ... and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def all_found(wanted: list[str], found: Callable[[str], bool], missing: str, passed: str) -> Grade:
    """The shape most checks share: every wanted name is found, else the missing ones."""
    absent = [name for name in wanted if not found(name)]
    return bad(f"{missing}: {listing(absent)}") if absent else ok(passed)


CheckFn = Callable[["Subject", Any], Grade]
NonEmpty = Annotated[list[str], Field(min_length=1)]  # an argument naming at least one thing


@dataclass(frozen=True)
class CheckDef:
    """A registered check: its function, its argument's type (None: takes none), its doc."""

    name: str
    fn: CheckFn
    arg: TypeAdapter[Any] | None
    doc: str

    @property
    def usage(self) -> str:
        """How a case writes it: `- ddl_applies`, `- adrs_min: N`, `- tables: [a, b]`."""
        if self.arg is None:
            return f"- {self.name}"
        kind = self.arg.json_schema().get("type")
        hint = {"array": "[a, b, ...]", "object": "{key: value, ...}", "integer": "N"}
        hint["string"] = "NAME"
        return f"- {self.name}: {hint.get(str(kind), 'VALUE')}"

    def validate(self, raw: Any) -> Any:
        """The argument as the check wants it; `ValueError` or pydantic's error if not."""
        if self.arg is None:
            if raw is not None and raw is not True:
                raise ValueError(f"check '{self.name}' takes no argument")
            return None
        if raw is None:
            raise ValueError(f"check '{self.name}' needs an argument")
        return self.arg.validate_python(raw, strict=False)


CHECKS: dict[str, CheckDef] = {}


def check(name: str, arg: Any = None) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under `name`; `arg` is the argument's type (None: none)."""

    def register(fn: CheckFn) -> CheckFn:
        if name in CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        adapter = TypeAdapter(arg) if arg is not None else None
        doc = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())  # first paragraph
        CHECKS[name] = CheckDef(name=name, fn=fn, arg=adapter, doc=doc)
        return fn

    return register


class Expectation(BaseModel):
    """One validated `expect` entry of a case: a known check and its typed argument."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    arg: Any = None


class CheckResult(BaseModel):
    """One check's verdict on one case, as the report shows it."""

    model_config = ConfigDict(extra="forbid")

    check: str
    passed: bool
    detail: str = ""  # what was found
    expected: Any = None  # the case's argument for the check: what was asked for
