"""The one place where errors become exit codes and messages.

0 success; 1 the work ran and found problems (lint errors, failed gates, eval below
threshold); 2 bad input (unreadable file, unparsable SQL or spec, bad option);
3 infrastructure (PostgreSQL unreachable, model API failed, a model budget spent); 4 a run
stopped for answers to its questions (resume it); 130 interrupted.
"""

from __future__ import annotations

import sys

import click
import typer

from tools.errors import ArchitectError, BudgetExceeded, DatabaseError, ModelError

OK, FINDINGS, BAD_INPUT, INFRA, NEEDS_INPUT, INTERRUPTED = 0, 1, 2, 3, 4, 130


def code_for(error: ArchitectError) -> int:
    if isinstance(error, DatabaseError | ModelError | BudgetExceeded):
        return INFRA
    return error.exit_code


def run(app: typer.Typer) -> None:
    try:
        result = app(standalone_mode=False)
    except ArchitectError as error:
        typer.echo(f"dbarch: error: {error}", err=True)
        sys.exit(code_for(error))
    except click.ClickException as error:
        error.show()
        sys.exit(BAD_INPUT)
    except (KeyboardInterrupt, click.Abort, typer.Abort):
        typer.echo("dbarch: interrupted", err=True)
        sys.exit(INTERRUPTED)
    except typer.TyperException as error:  # typer vendors click: its usage errors land here
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"dbarch: error: {error}", err=True)
        sys.exit(BAD_INPUT)
    if result == INTERRUPTED:  # typer turns Ctrl-C into a silent Exit(130)
        typer.echo("dbarch: interrupted", err=True)
    sys.exit(result if isinstance(result, int) else OK)
