from __future__ import annotations

from pathlib import Path

import typer

from lccode.cli._util import WorkspaceOpt


def register(app: typer.Typer):
    @app.command("status")
    def status_cmd(workspace: Path = WorkspaceOpt):
        """Counts of transcripts and segments per community, level, language and state."""
        from lccode.cli._util import console, open_workspace, table

        st = open_workspace(workspace).status()
        console().print(f"Workspace {workspace}: {st['transcripts']} transcripts, {st['segments']} segments "
                        f"({st['unit']} unit), {st['coded']} coded, {st['reviewed']} reviewed. Codebook {st['codebook']}.")
        if st["orphaned_decisions"]:
            console().print(f"{st['orphaned_decisions']} review decisions belong to sentences no longer in an edited "
                            "transcript; they are kept and still used for training.")
        for col, counts in st["by"].items():
            table(f"By {col}", [col, "transcripts", "segments"], [[k, *v] for k, v in counts.items()])
        if st["segment_lang"]:
            # Transcripts set to 'auto' are detected per turn, so the segments' languages say more than the manifest.
            table("Segments by detected language", ["detected language", "segments"],
                  [[k, v] for k, v in st["segment_lang"].items()])

    @app.command("segments")
    def segments_cmd(workspace: Path = WorkspaceOpt, transcript: str = typer.Option(None, help="Only this transcript."),
                     limit: int = typer.Option(10, help="How many to show.")):
        """Preview segments with their speaker, offsets and timestamps."""
        from lccode.cli._util import at_least, open_workspace, table
        from lccode.clock import hms

        at_least(limit, 1, "--limit")
        ws = open_workspace(workspace)
        segs = ws.segments(transcript=transcript or None)
        rows = [[s.transcript_id, s.index, f"{s.start_char}-{s.end_char}", s.speaker or "", s.role or "", s.lang or "",
                 hms(s.t_start), s.text[:90]] for s in segs[:limit]]
        table(f"Segments (first {min(limit, len(segs))} of {len(segs)})",
              ["transcript", "#", "chars", "speaker", "role", "lang", "time", "text"], rows)
