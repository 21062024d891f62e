"""`lccode review ...` as users run it."""

import json
import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from lccode.cli import app
from tests.review.review_data import MODEL_ID

TOP = "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt."


def run(*args):
    r = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output + repr(r.exception)
    return r.output


def test_queue_lists_most_uncertain_first(coded_ws_path):
    out = run("review", "queue", "-w", str(coded_ws_path), "-a", "Anna", "--limit", "2")
    assert f"model {MODEL_ID}, 0 of 11 reviewed by Anna" in out
    lines = [ln for ln in out.splitlines() if ln.startswith("│ ")]
    assert "nl-gaserop-test #5" in lines[0] and "bd_parent_support 0.51/0.50" in lines[0]
    assert "en-bouwcampus-test #2" in lines[1]
    out = run("review", "queue", "-w", str(coded_ws_path), "--level", "fieldlab")
    assert "nl-gaserop-test" not in out and "of 5 reviewed" in out


def test_export_fill_import_stats(coded_ws_path, tmp_path):
    from openpyxl import load_workbook

    sheet = tmp_path / "voor Sanne.xlsx"
    out = run("review", "export", str(sheet), "-w", str(coded_ws_path), "--limit", "3")
    assert "Wrote 3 segments" in out
    wb = load_workbook(sheet)
    ws = wb["review"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("decision") + 1, value="coded")
    ws.cell(row=3, column=header.index("decision") + 1, value="coded")
    ws.cell(row=3, column=header.index("final_codes") + 1, value="")
    wb.save(sheet)
    out = run("review", "import", str(sheet), "-w", str(coded_ws_path), "--analyst", "Sanne")
    assert "Imported 2 decisions" in out and "1 rows had no decision" in out
    report = tmp_path / "stats.json"
    out = run("review", "stats", "-w", str(coded_ws_path), "--json", str(report))
    assert "Model vs analysts (2 reviewed segments)" in out and "no segment has been coded by two analysts" in out
    st = json.loads(report.read_text())
    assert st["model_id"] == MODEL_ID and st["model_vs_analysts"]["n"] == 2 and st["codebook"].startswith("learning-")


def test_bad_sheet_exits_2_with_row_numbers(coded_ws_path, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("segment_id,final_codes,decision,analyst\nnope,sf_reciprocity,coded,Sanne\n"
                   "nope2,xx,coded,Sanne\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "lccode", "review", "import", str(bad), "-w", str(coded_ws_path)],
                       capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)
    assert r.returncode == 2
    assert f"{bad}:2 (field 'segment_id'): no segment 'nope'" in r.stderr
    assert f"{bad}:3 (field 'final_codes'): unknown code 'xx'" in r.stderr and "Traceback" not in r.stderr


def test_serve_prints_a_local_link_with_token(coded_ws_path):
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "lccode", "review", "serve", "-w", str(coded_ws_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "300"})
    try:
        line = ""
        while "http://" not in line:
            line = proc.stdout.readline()
            assert line, "serve ended without printing its link"
        url = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line).group(0)
        base = url.split("/?")[0]
        for _ in range(100):
            try:
                assert httpx.get(base + "/review", timeout=5).status_code == 403
                break
            except httpx.ConnectError:
                import time

                time.sleep(0.1)
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as c:
            r = c.get(url)
            assert r.status_code == 200 and "Who is reviewing?" in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_an_uncoded_workspace(ws_path):
    r = CliRunner().invoke(app, ["review", "serve", "-w", str(ws_path)])
    assert r.exit_code != 0 and "lccode code" in str(r.exception)
