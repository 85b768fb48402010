"""Where the stated regions put the primary, the replicas and each access pattern.

One primary takes every write: the first stated region holds it and its standbys; every
other region gets an asynchronous read replica. Under eventual consistency each region
reads its own replica; under strong consistency reads go to the primary, so users far from
it pay the round trip. A write from another region crosses to the primary and pays the
round trip per statement. The plan names when that stops being good enough and a
distributed option is due. Round trips are typical figures between cloud regions (stated
as such; measure them): `ROUND_TRIP_MS`, else `DEFAULT_ROUND_TRIP_MS`.
"""

from __future__ import annotations

from agent.spec import Requirements
from agent.stages import RegionPlan

DEFAULT_ROUND_TRIP_MS = 100.0
ROUND_TRIP_MS = {  # typical round trips between AWS regions, both directions
    frozenset({"us-east-1", "us-west-2"}): 65.0,
    frozenset({"us-east-1", "eu-west-1"}): 70.0,
    frozenset({"us-east-1", "eu-central-1"}): 90.0,
    frozenset({"eu-west-1", "eu-central-1"}): 25.0,
    frozenset({"us-west-2", "eu-west-1"}): 130.0,
    frozenset({"us-east-1", "ap-northeast-1"}): 150.0,
    frozenset({"us-east-1", "ap-southeast-1"}): 220.0,
    frozenset({"eu-west-1", "ap-southeast-1"}): 170.0,
}


def round_trip_ms(a: str, b: str) -> tuple[float, bool]:
    """(milliseconds, whether the pair is known) between two regions."""
    known = ROUND_TRIP_MS.get(frozenset({a, b}))
    return (known, True) if known is not None else (DEFAULT_ROUND_TRIP_MS, False)


def plan_regions(spec: Requirements, standbys: int) -> RegionPlan | None:
    if not spec.regions:
        return None
    primary, others = spec.regions[0], list(spec.regions[1:])
    reads = [p.name for p in spec.access_patterns if not p.is_write]
    if not others:
        return RegionPlan(
            primary=primary,
            primary_reads=reads,
            reason=f"One region stated: the primary and its {standbys} standby(s) run in "
            f"{primary}, spread over availability zones; every pattern is served there.",
        )
    strong = (spec.consistency or "strong") == "strong"
    trips = {r: round_trip_ms(primary, r) for r in others}
    worst = max(ms for ms, _ in trips.values())
    return RegionPlan(
        primary=primary,
        replicas=others,
        local_reads=[] if strong else reads,
        primary_reads=reads if strong else [],
        write_path=_write_path(primary, trips),
        write_round_trip_ms=worst,
        distributed_when=_distributed_when(spec, primary, others, worst),
        reason=_reason(spec, primary, others, strong),
    )


def _write_path(primary: str, trips: dict[str, tuple[float, bool]]) -> str:
    legs = ", ".join(
        f"{region} ~{ms:g} ms{'' if known else ' (assumed)'}"
        for region, (ms, known) in trips.items()
    )
    return (
        f"writes from every region go to the primary in {primary} and pay the round trip per "
        f"statement ({legs}): keep each write one statement (or one function call) so it pays "
        "it once, and commit before answering the user"
    )


def _distributed_when(spec: Requirements, primary: str, others: list[str], trip: float) -> str:
    tight = [
        p.name for p in spec.access_patterns if p.is_write and p.latency_ms and p.latency_ms < trip
    ]
    now = (
        f"Due now: {', '.join(tight)} must write in under the {trip:g} ms round trip. "
        if tight
        else ""
    )
    residency = (
        " or when personal data must stay in its region (GDPR residency)"
        if "gdpr" in spec.compliance
        else ""
    )
    return (
        f"{now}Move to a distributed option (per-region Citus clusters keyed by region, or a "
        "distributed SQL database with regional tables such as CockroachDB REGIONAL BY ROW) "
        f"when users in {', '.join(others)} need writes faster than the round trip to "
        f"{primary}, when writes must continue while {primary} is down{residency}."
    )


def _reason(spec: Requirements, primary: str, others: list[str], strong: bool) -> str:
    text = (
        f"{len(spec.regions)} regions stated: the primary lives in {primary} (the first "
        f"stated), with an asynchronous read replica in {', '.join(others)}."
    )
    if strong:
        return text + (
            " Strong consistency: reads go to the primary as well, since a replica in "
            "another region lags; users there pay the round trip on reads too."
        )
    return text + " Eventual consistency: each region reads its own replica."
