"""POST /v1/review: the review JSON for a schema (and index advice for a workload)."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Request
from pydantic import ConfigDict

from agent.service.openapi import errors
from agent.service.state import ServiceState
from tools.sql.review import ReviewSchemaInput, SchemaReview, review_schema

router = APIRouter(tags=["review"])


class ReviewBody(ReviewSchemaInput):
    """The review tool's input, validated strictly at the HTTP door: JSON types exactly as
    documented (the model's tool loop and MCP keep the lenient parse)."""

    model_config = ConfigDict(strict=True)


def _review(state: ServiceState, body: ReviewSchemaInput) -> SchemaReview:
    context = state.settings.tool_context(state.settings.home, state.pg())
    return review_schema(body, context)


@router.post(
    "/v1/review",
    response_model=SchemaReview,
    response_model_exclude_none=True,
    responses=errors(400, 422),
)
async def review_route(body: ReviewBody, request: Request) -> SchemaReview:
    """200 with the review, whatever it found; 422 with file, line and column for bad SQL."""
    state: ServiceState = request.app.state.service
    return await to_thread.run_sync(_review, state, body)
