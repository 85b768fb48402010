"""Every file of a package folder: `design.json` (the whole package) and its views.

The views (schema.sql, indexes.sql, erd.md, report.md, adr/*.md, rewrites.sql,
migrations/*.sql) are for people and tools; the package model itself (`agent.package`)
knows nothing of how it is rendered.
"""

from __future__ import annotations

from agent.package import DesignPackage
from agent.report.modes import rewrites_file
from agent.report.render import render_adr


def package_files(pkg: DesignPackage, report_md: str) -> dict[str, str]:
    """Relative path -> text for every file of the package folder."""
    files = {"design.json": pkg.model_dump_json(indent=2, by_alias=True), "report.md": report_md}
    if pkg.schema_design is not None:
        files["schema.sql"] = pkg.schema_design.ddl.rstrip() + "\n"
    if pkg.indexes is not None:
        files["indexes.sql"] = pkg.indexes.ddl + "\n"
    if pkg.erd:
        files["erd.md"] = f"# Entity relationship diagram\n\n```mermaid\n{pkg.erd.rstrip()}\n```\n"
    for adr_text, adr in zip(_adr_texts(pkg), pkg.adrs, strict=True):
        files[f"adr/{adr.filename}"] = adr_text
    if pkg.optimization is not None and pkg.optimization.rewrites:
        files["rewrites.sql"] = _rewrites_text(pkg)
    for mig in pkg.migrations:
        files[f"migrations/{mig.name}.up.sql"] = mig.up.rstrip() + "\n"
        files[f"migrations/{mig.name}.down.sql"] = mig.down.rstrip() + "\n"
    return files


def _adr_texts(pkg: DesignPackage) -> list[str]:
    return [render_adr(adr, pkg.brain) for adr in pkg.adrs]


def _rewrites_text(pkg: DesignPackage) -> str:
    assert pkg.optimization is not None
    return rewrites_file(pkg.optimization)
