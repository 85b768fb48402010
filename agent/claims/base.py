"""The base of every claim kind: data that can say itself in one sentence."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ClaimBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def sentence(self) -> str:
        raise NotImplementedError

    def tables_named(self) -> list[str]:
        """The tables the claim is about (the report files a claim under these)."""
        return []
