"""An eval run's report: as text for a terminal, JSON for machines and CI, or Markdown for
pull requests (`formats`), as one self-contained report.html with its diagrams drawn by an
inlined Mermaid (`html`, `mermaid`), and the `--out` folder holding them with each case's
package (`output`).

May import the results and their comparison, `agent.report` and `agent.package_folder`
(each case's package folder); the CLI and the service import it.
"""

from evals.report.formats import render
from evals.report.output import write_outputs

__all__ = ["render", "write_outputs"]
