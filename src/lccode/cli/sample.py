from __future__ import annotations

from pathlib import Path

import typer

REPO = Path(__file__).resolve().parents[3]


def register(app: typer.Typer):
    @app.command("sample")
    def sample_cmd(
        workspace: Path = typer.Option(Path("lc-sample"), "--workspace", "-w", help="Workspace folder to (re)use."),
        corpus: Path = typer.Option(REPO / "corpus_sample", help="Transcripts folder with a manifest."),
        model: Path = typer.Option(None, help="Model folder (default: models/lc-default; trained if missing)."),
        device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N"),
        exports: bool = typer.Option(True, help="Write the HTML report, XLSX and REFI-QDA exports."),
    ):
        """The whole job on the bundled sample: provision, train if needed, ingest, code, summarise, export."""
        from lccode.cli._util import console
        from lccode.pipeline import run_sample

        run_sample(workspace, corpus, model, device, exports, console())
