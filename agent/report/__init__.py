"""The package as people read it: `report.md` in the personas' order (`render`), its
sections by subject (`design`, `evidence`, `ops`, `migrate`, `modes`, `claims`), the ADRs as
MADR files, and every file of the package folder (`files`).

May import the package model, the stages, the spec, `agent.markdown` and what the rules
brain computes for a section (capacity, migration SQL); nothing imports this package but
the doors (CLI, evals) that write a package out.
"""

from agent.report.files import package_files
from agent.report.modes import mode_summary, rewrites_file
from agent.report.render import render_adr, render_report

__all__ = ["mode_summary", "package_files", "render_adr", "render_report", "rewrites_file"]
