"""Design-level lint rules over the schema model; importing this package registers them all."""

from tools.sql.rules import design, indexes, keys, types
from tools.sql.rules.base import RULES, Finding, Hit, Rule, Severity

__all__ = ["RULES", "Finding", "Hit", "Rule", "Severity", "design", "indexes", "keys", "types"]
