from __future__ import annotations

from pathlib import Path

import typer

from lccode.cli._util import WorkspaceOpt


def register(app: typer.Typer):
    @app.command("add")
    def add_cmd(
        paths: list[Path] = typer.Argument(..., help="Transcript files or folders (a manifest.csv/.yaml beside them gives metadata)."),
        workspace: Path = WorkspaceOpt,
        community: str = typer.Option(None, help="Community, for files without a manifest."),
        level: str = typer.Option(None, help="ecosystem | fieldlab | micro, for files without a manifest."),
        kind: str = typer.Option(None, help="interview | meeting, for files without a manifest."),
        language: str = typer.Option(None, help="nl | en | other | auto, for files without a manifest."),
        text_column: str = typer.Option(None, "--text-column",
                                        help="Column that holds the text in .csv/.xlsx/.jsonl files (default: text), "
                                             "e.g. a survey's freetext."),
    ):
        """Ingest and segment transcripts. Unchanged files are skipped; changed files are re-segmented."""
        from lccode.cli._util import open_workspace, plural, progress_bar, table
        from lccode.errors import InputError
        from lccode.records import KINDS, LEVELS
        from lccode.workspace.add import add_paths

        if level and level not in LEVELS:
            raise InputError(f"unknown level '{level}' for --level", field="--level", expected=" | ".join(LEVELS),
                             fix="use --level ecosystem, fieldlab or micro")
        if kind and kind not in KINDS:
            raise InputError(f"unknown kind '{kind}' for --kind", field="--kind", expected=" | ".join(KINDS),
                             fix="use --kind interview or --kind meeting")
        if language and language not in ("nl", "en", "other", "auto"):
            raise InputError(f"unknown language '{language}' for --language", field="--language",
                             expected="nl | en | other | auto", fix="use --language auto to detect it per speaker turn")
        ws = open_workspace(workspace)
        prog, task = progress_bar("Storing transcripts", None)
        skipped = []

        def on_scan(n, left_out):
            prog.update(task, total=n)
            skipped.extend(left_out)

        with prog:
            results = add_paths(ws, paths, {"community": community, "level": level, "kind": kind, "language": language},
                                progress=lambda tr: prog.advance(task), text_column=text_column, on_scan=on_scan)
        rows = []
        for r in results:
            what = "no change" if r.status == "unchanged" else plural(r.n_segments, "segment")
            if r.languages:
                what += f"; language {r.languages}"
            rows.append([Path(r.source_path).name if r.source_path else "", r.status, r.transcript_id,
                         "; ".join([what, *r.notes])])
        rows += [[s.path.name, "skipped", "", s.reason] for s in skipped]
        table("What was read", ["file", "status", "transcript", "details"], rows)
