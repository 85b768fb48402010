"""Eval runs through the Message Batches API (`dbarch eval --brain anthropic --batch`).

Stages depend on each other, so a run cannot send everything at once: every case runs
concurrently, and whenever each running case is waiting for the model, their pending calls
go out as one batch (a wave); results come back to each case's tool loop (`collector`).
Every batch id is written to a journal before it is polled (`journal`), so a run whose
process died is resumed by running the same command again: its calls are matched to the
stored batches and only what was never sent is sent.
"""
