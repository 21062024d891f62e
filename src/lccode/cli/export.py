"""`lccode export csv|xlsx|report|refi|jsonl`: the coded workspace in the files research tools open."""

from __future__ import annotations

from pathlib import Path

import typer

from lccode.cli._util import WorkspaceOpt

app = typer.Typer(help="Write coded excerpts, summary tables, the HTML report or a REFI-QDA project.",
                  no_args_is_help=True)

LangOpt = typer.Option("en", "--lang", "-l", help="Language of headers and report text: en | nl.")


def _out(what: str):
    return typer.Option(None, "--output", "-o", help=f"{what} (default: inside the workspace's exports/ folder).")
ModelOpt = typer.Option(None, "--model-id", help="Use this model's proposals (default: the latest coding run).")


def _default(workspace: Path, kind: str, lang: str = "en") -> Path:
    from lccode.export._common import export_name

    return workspace / "exports" / export_name(kind, lang)


def _done(what: str, path, ws=None):
    from lccode.cli._util import console

    console().print(f"Wrote {what}: {path}")
    if ws is not None:
        _warn_unprocessed(ws)


def _warn_unprocessed(ws):
    from lccode.cli._util import console

    st = ws.status()
    if st["segments"] and st["coded"] + st["reviewed"] == 0:
        console(stderr=True).print("Note: no segment has been coded yet; run 'lccode code' first.")


@app.command("xlsx")
def xlsx_cmd(workspace: Path = WorkspaceOpt, output: Path = _out("File to write (.xlsx)"), lang: str = LangOpt,
             model_id: str = ModelOpt):
    """Excel workbook: coded excerpts, summary tables, exemplar quotes, codebook and provenance, a sheet each."""
    from lccode.cli._util import open_workspace
    from lccode.export.tables import write_xlsx

    ws = open_workspace(workspace)
    _done("workbook", write_xlsx(ws, output or _default(workspace, "xlsx", lang), lang, model_id), ws)


@app.command("csv")
def csv_cmd(workspace: Path = WorkspaceOpt, output: Path = _out("Folder for the CSV files"), lang: str = LangOpt,
            model_id: str = ModelOpt):
    """The same tables as the workbook, one CSV file each (UTF-8)."""
    from lccode.cli._util import open_workspace
    from lccode.export.tables import write_csv

    ws = open_workspace(workspace)
    paths = write_csv(ws, output or _default(workspace, "csv", lang), lang, model_id)
    _done(f"{len(paths)} CSV files", paths[0].parent, ws)


@app.command("jsonl")
def jsonl_cmd(workspace: Path = WorkspaceOpt, output: Path = _out("File to write (.jsonl)"), model_id: str = ModelOpt):
    """Coded excerpts as JSON lines (one per segment x code), for scripts and notebooks."""
    from lccode.cli._util import open_workspace
    from lccode.export.tables import write_jsonl

    ws = open_workspace(workspace)
    _done("coded excerpts", write_jsonl(ws, output or _default(workspace, "jsonl"), model_id), ws)


@app.command("report")
def report_cmd(workspace: Path = WorkspaceOpt, output: Path = _out("File to write (.html)"), lang: str = LangOpt,
               model_id: str = ModelOpt):
    """One self-contained HTML report with charts, exemplar quotes per community, the codebook and provenance."""
    from lccode.cli._util import open_workspace
    from lccode.export.report import write_report

    ws = open_workspace(workspace)
    _done("report", write_report(ws, output or _default(workspace, "report", lang), lang, model_id), ws)


@app.command("refi")
def refi_cmd(workspace: Path = WorkspaceOpt, output: Path = _out("Project file to write (.qdpx)"), lang: str = LangOpt,
             model_id: str = ModelOpt):
    """REFI-QDA project (.qdpx) for ATLAS.ti, NVivo, MAXQDA or QualCoder, and its codebook (.qdc) beside it."""
    from lccode.cli._util import open_workspace
    from lccode.export.refi import write_qdpx

    ws = open_workspace(workspace)
    path = write_qdpx(ws, output or _default(workspace, "refi", lang), lang, model_id)
    _done("REFI-QDA project", path)
    _done("REFI-QDA codebook", path.with_suffix(".qdc"), ws)


def register(parent: typer.Typer):
    parent.add_typer(app, name="export")
