"""`lccode export ...` and `lccode import refi` from the command line."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from lccode.cli import app
from lccode.errors import InputError

runner = CliRunner()


def test_export_commands_write_their_files(ws, tmp_path):
    w = str(ws.root)
    out = tmp_path / "exports"
    for args, made in [(["xlsx", "-o", str(out / "c.xlsx"), "--lang", "nl"], out / "c.xlsx"),
                       (["csv", "-o", str(out / "csv")], out / "csv" / "excerpts.csv"),
                       (["jsonl", "-o", str(out / "c.jsonl")], out / "c.jsonl"),
                       (["report", "-o", str(out / "r.html")], out / "r.html"),
                       (["refi", "-o", str(out / "p.qdpx")], out / "p.qdc")]:
        res = runner.invoke(app, ["export", *args, "-w", w])
        assert res.exit_code == 0, res.output
        assert made.is_file() and made.stat().st_size > 0
        assert "Wrote" in res.output
    res = runner.invoke(app, ["export", "report", "-w", w])  # default: inside the workspace
    assert res.exit_code == 0 and (ws.root / "exports" / "report-en.html").is_file()


def test_import_command_round_trip(ws, tmp_path):
    from lccode.workspace import Workspace

    qdpx = tmp_path / "p.qdpx"
    assert runner.invoke(app, ["export", "refi", "-w", str(ws.root), "-o", str(qdpx)]).exit_code == 0
    Workspace.create(tmp_path / "w2").close()
    res = runner.invoke(app, ["import", "refi", str(qdpx), "-w", str(tmp_path / "w2")])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    # By default the model's codings are not taken for human decisions: only the reviewed segments come back.
    assert "Imported 3 transcripts with 2 coded segments" in out
    assert "made by an lccode model; they were left out" in out
    assert "Selection positions read as code points" in out
    Workspace.create(tmp_path / "w3").close()
    res = runner.invoke(app, ["import", "refi", str(qdpx), "-w", str(tmp_path / "w3"), "--keep-model-codings"])
    out = " ".join(res.output.split())
    assert "Imported 3 transcripts with 7 coded segments" in out
    assert "were imported under the model's name" in out


def test_bad_input_is_one_clear_message(ws, tmp_path):
    res = runner.invoke(app, ["export", "xlsx", "-w", str(ws.root), "--lang", "fr", "-o", str(tmp_path / "x.xlsx")])
    assert isinstance(res.exception, InputError)
    # Through the real entry point: message on stderr, exit status 2, no traceback.
    proc = subprocess.run([sys.executable, "-m", "lccode", "import", "refi", str(tmp_path / "missing.qdpx"),
                           "-w", str(ws.root)], capture_output=True, text=True, timeout=60)
    err = " ".join(proc.stderr.split())  # the console wraps long lines
    assert proc.returncode == 2
    assert "missing.qdpx: project file not found" in err and "fix: check the path" in err and "Traceback" not in err
