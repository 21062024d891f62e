"""`lccode import refi PROJECT.qdpx`: coding done by people in a QDA tool, into the workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from lccode.cli._util import WorkspaceOpt

app = typer.Typer(help="Bring in transcripts and coding made elsewhere.", no_args_is_help=True)


@app.command("refi")
def refi_cmd(
    project: Path = typer.Argument(..., help="REFI-QDA project exported from ATLAS.ti, NVivo, MAXQDA or QualCoder (.qdpx)."),
    workspace: Path = WorkspaceOpt,
    mapping: Path = typer.Option(None, "--mapping", "-m",
                                 help="CSV with columns refi_code,code_id for codes whose names differ from the codebook "
                                      "(an empty code_id leaves that code out)."),
    prefix: str = typer.Option("", help="Put this before every imported transcript id, e.g. 'atlas-'."),
    community: str = typer.Option(None, help="Community for sources that belong to no case in the project."),
    skip_model_codings: bool = typer.Option(
        True, "--skip-model-codings/--keep-model-codings",
        help="Codings an lccode model made (recognised after a round trip through any tool) are not human decisions: "
             "left out by default; --keep-model-codings stores them under the model's name."),
    uncoded_as_negatives: bool = typer.Option(
        False, "--uncoded-as-negatives",
        help="The coders read every source in full: store the text they left uncoded as 'no code' decisions "
             "(negatives for training). Only for sources a person coded."),
):
    """Sources become transcripts; coded spans become segments with the coder's codes as review decisions."""
    from rich.text import Text

    from lccode.cli._util import console, open_workspace, table
    from lccode.ingest.refi_project import import_refi

    ws = open_workspace(workspace)
    res = import_refi(ws, project, mapping, prefix, community, skip_model_codings, uncoded_as_negatives)
    out = console()
    out.print(f"Imported {len(res.transcripts)} transcripts with {res.segments} coded segments "
              f"({res.codings} codings, {res.decisions} decisions) from {project}.")
    out.print(f"Selection {res.positions}.", highlight=False)
    if res.uncoded_segments:
        rest = ("stored as 'no code' decisions" if res.negatives == res.uncoded_segments else
                f"{res.negatives} stored as 'no code' decisions" if res.negatives else
                "left to code (lccode code); --uncoded-as-negatives stores them as 'no code' decisions instead")
        out.print(f"{res.uncoded_segments} segments of text no coding touches: {rest}.")
    for w in res.warnings:
        out.print(Text.assemble(("Warning:", "yellow"), f" {w}"))
    if res.model_codings:
        verb = "were left out" if res.skipped_model_codings else "were imported under the model's name, not a person's"
        out.print(f"{res.model_codings} codings in the project were made by an lccode model; they {verb}.")
    if res.unknown_codes:
        table("Codes not in the codebook (their codings were not imported)", ["REFI code", "codings"],
              [[name, n] for name, n in res.unknown_codes])
        out.print("Map them with --mapping FILE.csv (columns refi_code,code_id) and run the same import again: "
                  "segments already imported are reused and the newly mapped codes are added. Or take the "
                  "project's own codebook: lccode codebook import PROJECT.qdpx, then lccode init WS --codebook ...")


def register(parent: typer.Typer):
    parent.add_typer(app, name="import")
