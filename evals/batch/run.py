"""One batched eval run: its journal (found again after a crash), the SDK client, the
collector, and what it sent, reused and cost."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from agent.config import Settings
from agent.llm.client import ClientConfig, make_sdk
from agent.llm.models import BATCH_PRICE_FACTOR, resolve_model
from evals.batch.collector import BatchCollector, Polling
from evals.batch.journal import Journal, run_key
from evals.cases import EvalCase
from evals.results import BatchSummary

log = logging.getLogger(__name__)


def journal_for(settings: Settings, cases: Sequence[EvalCase]) -> Journal:
    info = resolve_model(settings.model)
    key = run_key(info.id, [(case.id, case.request.model_dump_json()) for case in cases])
    return Journal(settings.home / "eval-batches" / f"{key}.jsonl")


@asynccontextmanager
async def batch_run(settings: Settings, cases: Sequence[EvalCase]) -> AsyncIterator[BatchCollector]:
    """The collector for `cases`; a run that ends normally moves its journal aside."""
    journal = journal_for(settings, cases)
    if journal.resumed:
        log.warning(
            "resuming a batched run from %d stored batch(es) in %s",
            len(journal.batches),
            journal.path,
        )
    config = ClientConfig.from_settings(settings)
    sdk = make_sdk(config)
    polling = Polling(settings.batch_poll_first_s, settings.batch_poll_max_s)
    collector = BatchCollector(sdk, resolve_model(settings.model), journal, polling, config.retry)
    try:
        yield collector
    finally:
        await sdk.close()
    journal.finish()


def summary(collector: BatchCollector, resumed_from: int) -> BatchSummary:
    stats = collector.stats
    return BatchSummary(
        journal=str(collector.journal.path),
        resumed_from=resumed_from,
        batches=stats.batches,
        waves=stats.waves,
        sent=stats.sent,
        reused=stats.reused,
        resent=stats.resent,
        price_factor=BATCH_PRICE_FACTOR,
    )
