"""The `lccode` command line. Command modules import heavy libraries inside their functions."""

from __future__ import annotations

import sys

import typer

from lccode import __version__

app = typer.Typer(
    name="lccode",
    help="Code Learning Community interview transcripts with a fine-tuned multilingual model, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool):
    if value:
        typer.echo(f"lccode {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug messages."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
):
    from lccode.cli._util import setup_logging

    setup_logging(verbose)


def _register():
    from lccode.cli import add, codebook, init, status

    for mod in (init, add, status):
        mod.register(app)
    app.add_typer(codebook.app, name="codebook")
    for name in ("provision", "train", "code", "evaluate", "review", "export", "import_", "sample"):
        try:
            mod = __import__(f"lccode.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"lccode.cli.{name}":
                raise
            continue
        mod.register(app)


_register()


def main():
    from lccode.errors import LccodeError

    try:
        app()
    except LccodeError as exc:
        from lccode.cli._util import console

        err = console(stderr=True)
        err.print("[bold red]Error:[/]", end=" ")
        err.print(exc.render(), markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        from lccode.cli._util import console

        console(stderr=True).print("Interrupted; work already stored in the workspace is kept.")
        sys.exit(130)
