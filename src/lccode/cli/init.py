from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer):
    @app.command("init")
    def init_cmd(
        directory: Path = typer.Argument(Path("lc-workspace"), help="Folder for the new workspace."),
        codebook: Path = typer.Option(None, "--codebook", "-c", help="Codebook YAML (default: the bundled Learning Communities codebook)."),
        unit: str = typer.Option("sentence", help="Segment unit: sentence or turn."),
        context: int = typer.Option(2, help="Neighbouring segments shown before and after a segment in review."),
    ):
        """Create a workspace: a folder with the project database and a copy of the codebook."""
        from rich.text import Text

        from lccode.atomic import check_folder_target
        from lccode.cli._util import console
        from lccode.workspace import Workspace

        ws = Workspace.create(check_folder_target(directory), codebook, unit, context)
        console().print(Text.assemble("Created workspace ", (str(directory), "bold"),
                                      f" (codebook {ws.meta('codebook_ref')}, unit {unit})."))
        console().print(f"Next: lccode add -w {directory} YOUR_TRANSCRIPTS_FOLDER")
