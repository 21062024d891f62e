from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Check and show codebooks.", no_args_is_help=True)


@app.command("validate")
def validate_cmd(file: Path = typer.Argument(None, help="Codebook YAML (default: the bundled one).")):
    """Report every problem in a codebook at once, with its YAML line."""
    from lccode.cli._util import console
    from lccode.codebook import load_codebook

    cb = load_codebook(file)
    console().print(f"OK: {cb.path}: {len(cb.codes)} codes in {len(cb.categories)} categories, "
                    f"languages {', '.join(cb.languages)}; hash {cb.hash[:12]} ({cb.ref}).")


@app.command("show")
def show_cmd(file: Path = typer.Argument(None, help="Codebook YAML (default: the bundled one)."),
             lang: str = typer.Option("en", help="Language of names and definitions."),
             full: bool = typer.Option(False, help="Also show inclusion/exclusion criteria and examples.")):
    """Print the codebook as a readable table."""
    from rich.table import Table
    from rich.text import Text

    from lccode.cli._util import console
    from lccode.codebook import load_codebook
    from lccode.errors import InputError

    cb = load_codebook(file)
    if lang not in cb.languages:
        raise InputError(f"the codebook has no text in language '{lang}'", field="--lang", expected=" | ".join(cb.languages),
                         fix=f"use --lang {cb.languages[0]}")
    t = Table(title=f"{cb.title.get(lang, cb.id)} ({cb.ref})", show_lines=full, title_justify="left")
    for col in ("category", "id", "name", "definition"):
        t.add_column(col, overflow="fold")
    for cat in cb.categories:
        for cid in cat.code_ids:
            code = cb.code(cid)
            definition = code.definition.get(lang, "")
            if full:
                for label, part in (("include", code.include), ("exclude", code.exclude), ("examples", code.examples)):
                    if part.get(lang):
                        definition += f"\n{label}: " + " | ".join(part[lang])
            t.add_row(Text.assemble(("■", code.color or cat.color or "white"), f" {cat.label(lang)}"), cid, code.label(lang),
                      definition)
    console().print(t)


@app.command("import")
def import_cmd(file: Path = typer.Argument(..., help="REFI-QDA project (.qdpx) or codebook (.qdc) from ATLAS.ti, NVivo, "
                                                     "MAXQDA or QualCoder."),
               output: Path = typer.Option(None, "--output", "-o", help="YAML codebook to write (default: FILE-codebook.yaml)."),
               lang: str = typer.Option("en", help="Language of the code names in the file (en, nl, ...)."),
               codebook_id: str = typer.Option(None, "--id", help="Id of the new codebook (default: from the file name).")):
    """Take the codebook from a REFI-QDA file, to start a workspace with: lccode init WS --codebook OUTPUT."""
    from lccode.atomic import check_file_target
    from lccode.cli._util import console
    from lccode.ingest.refi_codebook import import_codebook

    out = check_file_target(output or file.with_name(f"{file.stem}-codebook.yaml"))
    cb = import_codebook(file, out, lang, codebook_id)
    console().print(f"Wrote {out}: {len(cb.codes)} codes in {len(cb.categories)} categories ({cb.ref}).\n"
                    f"Start a workspace with it: lccode init WORKSPACE --codebook {out}")


def register(parent: typer.Typer):
    parent.add_typer(app, name="codebook")
