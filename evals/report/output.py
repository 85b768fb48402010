"""The `--out` folder of an eval run: results.json (the machine contract, and the baseline
a later `--compare` reads), report.md for a pull request, report.txt, a self-contained
report.html, and each finished case's design package under cases/<id>/."""

from __future__ import annotations

import logging
from pathlib import Path

from agent.package_folder import write_package
from agent.report import package_files, render_report
from evals.report.formats import render
from evals.report.html import render_html
from evals.report.mermaid import mermaid_script
from evals.results import EvalReport

log = logging.getLogger(__name__)


def output_files(report: EvalReport, diagrams: bool = True) -> dict[str, str]:
    files = {
        "results.json": render(report, "json"),
        "report.md": render(report, "md"),
        "report.txt": render(report, "text"),
    }
    script, source = mermaid_script(install=diagrams) if diagrams else (None, "not asked for")
    note = (
        f"ERDs drawn with Mermaid from {Path(source).name}"
        if script
        else (f"ERDs shown as Mermaid source: {source}")
    )
    files["report.html"] = render_html(report, script, note)
    for case in report.cases:
        if case.package is not None:
            pkg_files = package_files(case.package, render_report(case.package))
            files |= {f"cases/{case.id}/{rel}": text for rel, text in pkg_files.items()}
    return files


def write_outputs(report: EvalReport, out: Path, force: bool = False) -> Path:
    return write_package(output_files(report), out, force=force)
