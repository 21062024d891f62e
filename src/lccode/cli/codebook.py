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

    from lccode.cli._util import console
    from lccode.codebook import load_codebook

    cb = load_codebook(file)
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
            t.add_row(f"[{code.color or cat.color or 'white'}]■[/] {cat.label(lang)}", cid, code.label(lang), definition)
    console().print(t)
