"""Backup and recovery, security and monitoring sections of the scaling plan.

These follow from the spec's objectives (RPO, RTO, availability), its compliance regimes and
the schema's tenancy, audit and partitioning; defaults are the ones the requirements stage
lists as assumptions (RPO 5 minutes, RTO 1 hour).
"""

from __future__ import annotations

from agent.brains.rules.scaling.sizes import SizedTable
from agent.claims.model import LookupFunction
from agent.naming import table_name
from agent.pg_target import target_of
from agent.spec import Requirements, duration_seconds
from agent.stages import BackupPlan, PoolingPlan, ReplicaPlan, SchemaDesign
from tools.sql.pg_features import supports

DEFAULT_RPO = "5 minutes"
DEFAULT_RTO = "1 hour"
RESTORE_BYTES_PER_SECOND = 200 * 1024**2  # pgBackRest parallel restore from object storage
PITR_DAYS = 30
LONG_KEEP = {
    "hipaa": "monthly full backups kept 6 years (HIPAA documentation retention)",
    "sox": "monthly full backups kept 7 years (SOX record retention)",
    "pci": "backups encrypted and kept at least 1 year (PCI DSS log retention)",
}


def plan_backup(spec: Requirements, sized: list[SizedTable], replicas: ReplicaPlan) -> BackupPlan:
    rpo = spec.rpo or DEFAULT_RPO
    rto = spec.rto or DEFAULT_RTO
    total = sum(s.size.bytes_12m or 0 for s in sized)
    restore_s = total / RESTORE_BYTES_PER_SECOND
    rto_s = duration_seconds(rto) or 3600.0
    method = "pgBackRest: weekly full + daily differential backups, continuous WAL archiving"
    if replicas.synchronous:
        method += ", synchronous standby"
    fits = restore_s <= rto_s
    reason = (
        f"RPO {rpo} ({'stated' if spec.rpo else 'assumed'}): WAL is archived continuously "
        f"(archive_timeout = 60s), so at most the last minute of WAL is at risk"
        f"{'; RPO 0 needs the synchronous standby' if replicas.synchronous else ''}. "
        f"RTO {rto} ({'stated' if spec.rto else 'assumed'}): a full restore of "
        f"{total / 1024**3:,.1f} GB (12-month size) at {RESTORE_BYTES_PER_SECOND // 1024**2} "
        f"MB/s takes ~{restore_s / 60:,.0f} min, "
        + (
            "within the RTO."
            if fits
            else "longer than the RTO: failover promotes a standby; restores are for "
            "disasters and mistakes (PITR to just before them)."
        )
        + " Test a restore every month and alert on backup age."
    )
    keep = [f"{PITR_DAYS} days of point-in-time recovery"]
    keep += [LONG_KEEP[c] for c in spec.compliance if c in LONG_KEEP]
    return BackupPlan(method=method, rpo=rpo, rto=rto, retention="; ".join(keep), reason=reason)


def security_measures(spec: Requirements, schema: SchemaDesign) -> list[str]:
    name = spec.name.replace("-", "_")
    found = [
        f"Least privilege: {name}_owner owns the schema and runs migrations; {name}_app gets "
        f"SELECT/INSERT/UPDATE/DELETE on the tables only (no DDL, no TRUNCATE, not "
        f"BYPASSRLS); {name}_readonly gets SELECT for reporting, on a replica.",
        "TLS for every connection: hostssl-only pg_hba.conf rules, scram-sha-256 "
        "passwords, ssl_min_protocol_version = TLSv1.2; PgBouncer speaks TLS on both sides.",
        "Encryption at rest: encrypted volumes for data and WAL, and pgBackRest repository "
        "encryption (repo1-cipher-type = aes-256-cbc) for backups.",
    ]
    if schema.tenancy is not None and schema.tenancy.setting:
        found.append(
            f"Tenant context: the application sets {schema.tenancy.setting} per transaction "
            "(SET LOCAL) from the authenticated session, never from request input."
        )
    lookups = [c for c in schema.claims if isinstance(c, LookupFunction)]
    if lookups:
        signatures = ", ".join(f"{c.function}({', '.join(c.arguments)})" for c in lookups)
        found.append(
            f"Lookup functions before a tenant is known: REVOKE EXECUTE ON FUNCTION "
            f"{signatures} FROM PUBLIC, then GRANT EXECUTE to {name}_app only."
        )
    sensitive = sensitive_columns(spec)
    if spec.compliance:
        which = (
            ", ".join(sensitive)
            if sensitive
            else "no attribute is marked pii/phi in the spec: mark them; until then treat "
            "people-like entities and what references them as personal data"
        )
        found.append(
            f"Column encryption or pseudonymisation of personal data ({which}): pgcrypto or "
            "application-side envelope encryption, keys in a KMS; analytics copies get "
            "pseudonymised identifiers."
        )
    if schema.audit is not None:
        found.append(
            f"Audit trail: {name}_app gets no privilege on {schema.audit.table} (the trigger "
            "function writes it as its owner); pgaudit logs DDL and role changes."
        )
    found += [_COMPLIANCE[c] for c in spec.compliance if c in _COMPLIANCE]
    return found


_COMPLIANCE = {
    "hipaa": "HIPAA: access to PHI is logged (pgaudit read logging on PHI tables), minimum "
    "necessary access through RLS and column grants, BAA with every hosting provider.",
    "gdpr": "GDPR: erasure and export per data subject (delete or pseudonymise, re-applied "
    "after any restore), data kept in the stated regions, retention enforced.",
    "pci": "PCI DSS: never store card verification codes; card numbers tokenised by the "
    "payment provider; cardholder data isolated and access-logged.",
    "sox": "SOX: financial records append-only with audit trail; separation of duties "
    "between the migration owner and application roles.",
}


def sensitive_columns(spec: Requirements) -> list[str]:
    """`table.column` for attributes marked pii, and `table.*` for PHI entities."""
    found = []
    for entity in spec.entities:
        table = table_name(entity.name)
        if entity.phi:
            found.append(f"{table}.*")
            continue
        names = list(
            dict.fromkeys([*entity.pii, *(n for n, a in entity.attributes.items() if a.pii)])
        )
        found += [f"{table}.{n}" for n in names]
    return found


def _plan_drift(target: int) -> str:
    """How to look at a parameterised pattern's plan on the target version."""
    if supports(target, "explain-generic-plan"):
        how = "EXPLAIN (GENERIC_PLAN) <the pattern's SQL, $1 parameters as written>"
    else:
        how = (
            "PREPARE p AS <the pattern's SQL>; SET plan_cache_mode = force_generic_plan; "
            "EXPLAIN EXECUTE p(NULL, ...) (EXPLAIN (GENERIC_PLAN) arrives in PostgreSQL 16)"
        )
    return (
        "Plan drift: after an upgrade, a bulk load or an index change, re-check each access "
        f"pattern's generic plan with {how}, and compare it with the plans in this report."
    )


def monitoring_checks(
    spec: Requirements, schema: SchemaDesign, pooling: PoolingPlan, replicas: ReplicaPlan
) -> list[str]:
    latency = [p for p in spec.access_patterns if p.latency_ms]
    found = [
        "pg_stat_statements: top statements by total and mean time; alert when an access "
        "pattern's mean exceeds "
        + (
            f"its target ({', '.join(f'{p.name} {p.latency_ms:g} ms' for p in latency)})"
            if latency
            else "2x its baseline"
        )
        + ".",
        f"Connection saturation: alert when PgBouncer cl_waiting > 0 for 1 minute or "
        f"server connections exceed 80% of pool_size ({pooling.pool_size})."
        if pooling.pool_size
        else "Connection saturation: alert when active connections exceed 80% of "
        "max_connections; that is when a pooler is due.",
        "Bloat and vacuum: alert when n_dead_tup exceeds 20% of live rows or autovacuum has "
        "not run on a hot table for a day; check index bloat with pgstattuple weekly.",
        "Disk: alert at 80% of the data volume; WAL archiving failures (pg_stat_archiver."
        "failed_count rising) and backup age over 26 hours page immediately.",
        "Long transactions and locks: alert on transactions open > 5 minutes and lock "
        "waits > 30 s (they block vacuum and DDL).",
        _plan_drift(target_of(spec)),
    ]
    if replicas.read_replicas:
        found.append(
            "Replication lag: alert when a replica lags > 30 s (pg_stat_replication "
            "replay_lag) or a replication slot retains > 10 GB of WAL."
        )
    for part in schema.partitioning:
        found.append(
            f"Partitions of {part.table}: alert when fewer than 2 future partitions exist or "
            f"the default partition receives rows; check retention drops ran."
        )
    return found
