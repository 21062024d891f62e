"""After a SIGKILL: runs the dead process left 'running' become 'interrupted' on the next open, and the temp files
of its atomic writes are removed by the next write to the same file. Processes are really killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def killed_child(code: str) -> None:
    """Run `code` in a new Python process that SIGKILLs itself at the end (no `finally`, no atexit)."""
    script = textwrap.dedent(code) + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    proc = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert proc.returncode == -signal.SIGKILL


def test_a_run_of_a_killed_process_is_marked_interrupted(workspace):
    from lccode.workspace import Workspace

    root = workspace.root
    mine = workspace.start_run("code", model_id="live")  # this process is alive: its run stays running
    killed_child(f"""
        from lccode.workspace import Workspace
        ws = Workspace.open({str(root)!r})
        ws.start_run("code", model_id="killed")
    """)
    status = {r.model_id: r.status for r in workspace.runs()}
    assert status == {"live": "running", "killed": "running"}  # nothing has looked yet
    ws = Workspace.open(root)
    try:
        rows = {r.model_id: r for r in ws.runs()}
        assert rows["killed"].status == "interrupted" and rows["killed"].finished_at
        assert rows["live"].status == "running" and rows["live"].finished_at is None
        assert ws.meta(f"run_owner:{rows['killed'].id}") is None
        assert ws.mark_interrupted_runs() == []  # marked once
    finally:
        ws.close()
    workspace.finish_run(mine)
    assert workspace.meta(f"run_owner:{mine}") is None
    assert workspace.run(mine).status == "done"


def test_temp_files_of_a_killed_writer_are_cleaned_by_the_next_write(tmp_path):
    from lccode.atomic import write_text_atomic

    target = tmp_path / "report.xlsx"
    target.write_text("old", encoding="utf-8")
    killed_child(f"""
        from lccode.atomic import atomic_path
        cm = atomic_path({str(target)!r})
        tmp = cm.__enter__()
        tmp.write_text("half", encoding="utf-8")
    """)
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].name.startswith(".report.xlsx.")
    assert target.read_text(encoding="utf-8") == "old"  # the kill never reached the final path
    # a temp file of a live writer (this process) and another file's temp files are left alone
    live = tmp_path / f".report.xlsx.{_host()}-{os.getpid()}.abcd1234.tmp"
    live.write_text("busy", encoding="utf-8")
    other = tmp_path / ".notes.txt.somehost-1.abcd1234.tmp"
    other.write_text("x", encoding="utf-8")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, live.name, other.name])


def test_temp_files_of_older_versions_go_when_a_day_old(tmp_path):
    from lccode.atomic import clean_stale_temps

    target = tmp_path / "out.csv"
    old, recent = tmp_path / ".out.csv.k2j4h5g6.tmp", tmp_path / ".out.csv.a1b2c3d4.tmp"
    for p in (old, recent):
        p.write_text("x", encoding="utf-8")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    assert clean_stale_temps(target) == [old]
    assert recent.exists() and not old.exists()


def _host() -> str:
    from lccode.atomic import _host

    return _host()
