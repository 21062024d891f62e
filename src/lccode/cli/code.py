from __future__ import annotations

from pathlib import Path

import typer

from lccode.cli._util import WorkspaceOpt
from lccode.paths import DEFAULT_MODEL_NAME


def register(app: typer.Typer):
    @app.command("code")
    def code_cmd(
        workspace: Path = WorkspaceOpt,
        model: Path = typer.Option(None, "--model", "-m", help=f"Trained model folder (default: models/{DEFAULT_MODEL_NAME})."),
        device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N (auto takes a GPU when there is one)."),
        batch_size: int = typer.Option(None, help="Segments per batch (default: 64 on the CPU, 512 on a GPU)."),
        redo: bool = typer.Option(False, help="Code again segments this model already coded."),
    ):
        """Code every segment the model has not coded yet, with a probability per code."""
        from lccode.cli._util import at_least, console, open_workspace, progress_bar
        from lccode.model.coding import code_workspace, pending_count
        from lccode.model.device import check_device
        from lccode.paths import default_model_dir

        check_device(device)
        at_least(batch_size, 1, "--batch-size")
        ws = open_workspace(workspace)
        model = model or default_model_dir()
        prog, task = progress_bar("Coding segments", pending_count(ws, model, redo))
        with prog:
            stats = code_workspace(ws, model, device, batch_size, redo, progress=lambda n: prog.advance(task, n))
        console().print(f"Coded {stats['segments']} segments with {stats['model_id']} on {stats['device']}"
                        + (f": {stats['segments_per_s']} segments/s." if stats["segments"] else " (nothing new to code)."))
        from lccode.cli.summary import print_code_summary

        print_code_summary(ws)
