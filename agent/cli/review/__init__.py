"""`dbarch review`: the command (`command`, whose `register` the CLI calls) and its output
formats: rich tables for a terminal (`text`), SARIF 2.1.0 (`sarif`), GitHub Actions
workflow commands (`github`), and the workload analysis step (`workload`).

May import `agent.cli.exits`, `agent.cli.progress`, the configuration and `tools.sql`; only
the CLI imports it (`dbarch explain` shares its text rendering).
"""

from agent.cli.review.command import register
from agent.cli.review.text import console_for

__all__ = ["console_for", "register"]
