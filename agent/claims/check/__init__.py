"""Claims checked against the catalog of the applied package: each claim kind to its check
(`dispatch`), the checks on what the schema is made of (`objects`) and on who may see and
change rows (`security`); a false claim yields a message naming it and the truth.

May import the claim models and `agent.claims.catalog`; the `claims_hold` gate imports it.
"""

from agent.claims.check.dispatch import check_claims

__all__ = ["check_claims"]
