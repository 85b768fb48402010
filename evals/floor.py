"""The pass-rate floor kept in the repository (evals/floor.json): CI fails below it, and
raising it when a change makes more cases pass is how progress is kept."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import InputError

FLOOR = Path(__file__).resolve().parent / "floor.json"


class Floor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brain: str = "rules"
    min_pass_rate: float = Field(ge=0.0, le=1.0)
    why: str = ""


def read_floor(path: Path = FLOOR) -> Floor:
    try:
        return Floor.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"cannot read the floor file {path}: {exc}") from exc
    except (ValueError, ValidationError) as exc:
        raise InputError(
            f"{path} is not a floor file ({{min_pass_rate, brain, why}}): {exc}"
        ) from exc
