"""Model-side failures, as `tools.errors.ModelError` subclasses that carry what went wrong."""

from __future__ import annotations

from typing import Any

from tools.errors import ModelError


class ModelCallFailed(ModelError):
    """The API refused the call, or retries ran out; status and request id name the failure."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.status, self.request_id, self.attempts = status, request_id, attempts
        parts = [message]
        if status is not None:
            parts.append(f"status {status}")
        if request_id:
            parts.append(f"request {request_id}")
        parts.append(f"after {attempts} attempt{'s' if attempts != 1 else ''}")
        super().__init__("; ".join(parts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "message": str(self),
            "status": self.status,
            "request_id": self.request_id,
            "attempts": self.attempts,
        }


class OutputTruncated(ModelError):
    """The reply hit max_tokens more often than the loop may continue it."""


class StructuredOutputError(ModelError):
    """The model did not submit a valid structured answer within its repair allowance."""
