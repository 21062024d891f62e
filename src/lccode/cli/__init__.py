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
    # Imported by name, so a command module that fails to import stops the CLI with its error instead of leaving
    # the command out of --help. Each module adds its commands through register(app); they import their heavy
    # libraries inside the command functions, so this stays fast.
    from lccode.cli import add, code, codebook, evaluate, export, import_, init, provision, review, sample, status, train

    for mod in (init, add, status, codebook, provision, train, code, evaluate, review, export, import_, sample):
        mod.register(app)


_register()


def main():
    from lccode.errors import LccodeError

    try:
        app()
    except LccodeError as exc:
        from lccode.cli._util import console

        err = console(stderr=True)
        err.print("[bold red]Error:[/]", end=" ", markup=True)
        err.print(exc.render(), markup=False)
        sys.exit(2)
    except OSError as exc:
        # The file system refused a path given on the command line or found in an input (a name over 255
        # characters, a folder where a file was expected, no permission, a full disk): the user's setup, not a bug.
        from lccode.cli._util import console
        from lccode.errors import LccodeError

        err = LccodeError(f"the file system refused this ({exc.strerror or exc})", file=exc.filename,
                          fix="check the path (a name of at most 255 characters), its permissions and the free disk "
                              "space")
        out = console(stderr=True)
        out.print("[bold red]Error:[/]", end=" ", markup=True)
        out.print(err.render(), markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        from lccode.cli._util import console

        console(stderr=True).print("Interrupted; work already stored in the workspace is kept.")
        sys.exit(130)
