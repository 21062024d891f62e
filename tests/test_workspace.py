"""The workspace database: schema and migrations, add/re-add, edits that keep decisions, all-or-nothing writes."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from lccode.errors import InputError, LccodeError
from lccode.workspace import CODEBOOK_NAME, DB_NAME, Prediction, Workspace, db
from lccode.workspace.add import add_paths
from lccode.workspace.decisions import effective_codes, record_decision

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
BAD = FIXTURES / "bad"
MANIFESTS = FIXTURES / "manifests"


def add(ws, *paths, **overrides):
    return {r.transcript_id: (r.status, r.n_segments) for r in add_paths(ws, list(paths), overrides or None)}


# -- creating and opening ----------------------------------------------------------------------------------------

def test_create_makes_a_database_and_a_codebook_copy(tmp_path):
    ws = Workspace.create(tmp_path / "ws", unit="turn", context=2)
    assert (tmp_path / "ws" / DB_NAME).is_file() and (tmp_path / "ws" / CODEBOOK_NAME).is_file()
    assert db.pragma(ws.conn, "journal_mode") == "wal"
    assert db.pragma(ws.conn, "foreign_keys") == 1
    assert db.schema_version(ws.conn) == db.SCHEMA_VERSION
    assert ws.meta("unit") == "turn" and ws.meta("context") == "2"
    assert ws.meta("codebook_ref") == ws.codebook().ref and ws.meta("created_by").startswith("lccode ")
    ws.close()
    with pytest.raises(LccodeError, match="already exists"):
        Workspace.create(tmp_path / "ws")
    reopened = Workspace.open(tmp_path / "ws")
    assert reopened.meta("unit") == "turn"
    reopened.close()


def test_create_with_bad_options_writes_nothing(tmp_path):
    with pytest.raises(InputError, match="unknown segment unit"):
        Workspace.create(tmp_path / "a", unit="paragraph")
    with pytest.raises(InputError):
        Workspace.create(tmp_path / "b", codebook=tmp_path / "missing.yaml")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_open_a_folder_that_is_no_workspace(tmp_path):
    with pytest.raises(LccodeError) as info:
        Workspace.open(tmp_path)
    assert "lccode init" in info.value.problems[0].fix


# -- schema versions and migrations -----------------------------------------------------------------------------

def test_migrate_creates_every_table_and_is_idempotent(tmp_path):
    conn = db.connect(tmp_path / "x.sqlite")
    assert db.schema_version(conn) == 0
    assert db.migrate(conn) == db.SCHEMA_VERSION
    assert set(db.TABLES) <= db.table_names(conn)
    assert db.migrate(conn) == db.SCHEMA_VERSION  # nothing to do the second time
    conn.close()


def test_a_newer_workspace_is_refused(workspace):
    workspace.set_meta("schema_version", str(db.SCHEMA_VERSION + 1))
    with pytest.raises(LccodeError, match="newer lccode"):
        Workspace.open(workspace.root)


def test_a_failing_migration_leaves_the_schema_as_it_was(snap, workspace, monkeypatch):
    nxt = db.SCHEMA_VERSION + 1
    monkeypatch.setattr(db, "SCHEMA_VERSION", nxt)
    monkeypatch.setitem(db.MIGRATIONS, nxt, "CREATE TABLE notes (x TEXT); INSERT INTO no_such_table VALUES (1)")
    before = snap(workspace)
    with pytest.raises(sqlite3.OperationalError):
        Workspace.open(workspace.root)
    assert db.schema_version(workspace.conn) == nxt - 1
    assert "notes" not in db.table_names(workspace.conn)
    assert snap(workspace) == before
    # A correct migration then applies on open.
    monkeypatch.setitem(db.MIGRATIONS, nxt, "CREATE TABLE notes (x TEXT)")
    ws = Workspace.open(workspace.root)
    assert db.schema_version(ws.conn) == nxt
    ws.close()


# -- adding ----------------------------------------------------------------------------------------------------

def test_add_stores_every_fixture_transcript(workspace, fixture_transcripts, fixture_segments):
    results = add(workspace, TRANSCRIPTS)
    assert set(results) == set(fixture_transcripts)
    assert all(status == "added" for status, _ in results.values())
    for tid, segs in fixture_segments.items():
        stored = workspace.segments(transcript=tid)
        assert [(s.key, s.text, s.start_char, s.speaker, s.role, s.lang, s.t_start) for s in stored] == [
            (s.key, s.text, s.start_char, s.speaker, s.role, s.lang, s.t_start) for s in segs]
        text = workspace.transcript_text(tid)
        assert text == fixture_transcripts[tid].text
        assert all(text[s.start_char:s.end_char] == s.text for s in stored)
    st = workspace.status()
    assert st["transcripts"] == len(fixture_transcripts)
    assert st["segments"] == sum(map(len, fixture_segments.values()))
    assert st["by"]["level"]["micro"][0] == 6 and st["by"]["kind"]["meeting"][0] == 4
    assert set(st["segment_lang"]) == {"nl", "en"}


def test_the_whole_sample_corpus_in_a_workspace(sample_workspace):
    st = sample_workspace.status()
    assert st["transcripts"] == 8 and st["segments"] >= 1500
    assert set(st["by"]["level"]) == {"ecosystem", "fieldlab", "micro"}
    assert len(st["by"]["community"]) >= 4
    for row in sample_workspace.transcripts():
        text = sample_workspace.transcript_text(row.id)
        segs = sample_workspace.segments(transcript=row.id)
        assert segs and all(text[s.start_char:s.end_char] == s.text for s in segs)


def test_re_adding_unchanged_files_is_a_no_op(snap, workspace):
    add(workspace, TRANSCRIPTS)
    before = snap(workspace)
    again = add(workspace, TRANSCRIPTS)
    assert set(again.values()) == {("unchanged", 0)}
    assert snap(workspace) == before


def test_files_without_a_manifest_take_the_options(workspace, copy_files):
    folder = copy_files(TRANSCRIPTS / "en_roles_interview.txt")
    assert add(workspace, folder, community="zorg", level="micro", language="en") == {
        "en_roles_interview": ("added", 11)}
    row = workspace.transcripts()[0]
    assert (row.community, row.level, row.language) == ("zorg", "micro", "en")


def test_two_files_with_one_id_are_refused(workspace, copy_files):
    a = copy_files(TRANSCRIPTS / "en_crlf.txt")
    b = copy_files(TRANSCRIPTS / "en_crlf.txt")
    with pytest.raises(InputError, match="two files give transcript id 'en_crlf'"):
        add(workspace, a / "en_crlf.txt", b / "en_crlf.txt")
    assert workspace.status()["transcripts"] == 0


# -- a changed transcript ------------------------------------------------------------------------------------

ORIGINAL = """Interviewer: Hoe begon het fieldlab?

Respondent: Met een telefoontje van de gemeente. Ze zochten bedrijven die mee wilden doen. Wij hadden net een nieuwe hal.

Interviewer: En wat leverde het op?

Respondent: Een netwerk vooral. Ik bel nu gewoon de school als ik een stagiair zoek.
"""
EDITED = ORIGINAL.replace("Wij hadden net een nieuwe hal.", "Wij hadden toevallig ruimte over.").replace(
    "Een netwerk vooral.", "Een netwerk vooral. En twee nieuwe collega's.")


def test_a_changed_file_is_re_segmented_and_keeps_decisions(snap, workspace, tmp_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    path = folder / "fieldlab.txt"
    path.write_text(ORIGINAL, encoding="utf-8")
    shutil.copy(TRANSCRIPTS / "nl_hash_stamps.txt", folder / "other.txt")
    add(workspace, folder)
    segs = {s.text: s for s in workspace.segments(transcript="fieldlab")}
    kept, dropped = segs["Een netwerk vooral."], segs["Wij hadden net een nieuwe hal."]
    record_decision(workspace, kept.key, "marit", ["out_joint_practice"])
    record_decision(workspace, dropped.key, "marit", ["sf_conditions"])
    run = workspace.start_run("code", model_id="m1", model_hash="abc", codebook_ref=workspace.meta("codebook_ref"),
                              params={"thresholds": {"out_learning": 0.5}})
    workspace.store_predictions([Prediction(kept.key, "m1", run, {"out_learning": 0.8}, ("out_learning",), "t")])
    workspace.finish_run(run)
    other_rows = workspace.segments(transcript="other")
    before = snap(workspace)

    path.write_text(EDITED, encoding="utf-8")
    assert add(workspace, folder) == {"fieldlab": ("updated", 8), "other": ("unchanged", 0)}

    after = {s.text: s for s in workspace.segments(transcript="fieldlab")}
    assert "Wij hadden toevallig ruimte over." in after and "En twee nieuwe collega's." in after
    # Unchanged sentences keep their keys, so their decision and prediction apply again.
    assert after["Een netwerk vooral."].key == kept.key
    assert after["Met een telefoontje van de gemeente."].key == segs["Met een telefoontje van de gemeente."].key
    assert effective_codes(workspace)[kept.key].codes == ("out_joint_practice",)
    # Nothing else is lost: decisions, runs and predictions are as before; the other transcript is untouched.
    now = snap(workspace)
    for table in ("decisions", "runs", "predictions"):
        assert now[table] == before[table]
    assert workspace.segments(transcript="other") == other_rows
    st = workspace.status()
    assert st["orphaned_decisions"] == 1 and st["reviewed"] == 1
    assert workspace.transcript_text("fieldlab") == EDITED


def test_a_corrected_manifest_row_updates_an_unchanged_file(workspace, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    shutil.copy(TRANSCRIPTS / "en_crlf.txt", folder)
    manifest = folder / "manifest.csv"
    manifest.write_text("file,id,community,level,roles\nen_crlf.txt,zorg-1,zorg,micro,\n", encoding="utf-8")
    add(workspace, folder)
    keys = [s.key for s in workspace.segments()]
    manifest.write_text("file,id,community,level,roles\nen_crlf.txt,zorg-1,zorg-leerlab,micro,Respondent=participant\n",
                        encoding="utf-8")
    assert add(workspace, folder) == {"zorg-1": ("updated", 5)}
    assert workspace.transcripts()[0].community == "zorg-leerlab"
    segs = workspace.segments()
    assert [s.key for s in segs] == keys
    assert {s.role for s in segs if s.speaker == "Respondent"} == {"participant"}
    assert add(workspace, folder) == {"zorg-1": ("unchanged", 0)}


# -- all or nothing --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["undecodable.txt", "not_a_zip.docx", "comma_timing.vtt", "backwards.srt",
                                 "binary.txt", "empty.txt"])
def test_a_bad_file_in_a_batch_leaves_the_workspace_as_it_was(snap, workspace, copy_files, bad):
    add(workspace, TRANSCRIPTS / "nl_hash_stamps.txt")
    before = snap(workspace)
    batch = copy_files(TRANSCRIPTS / "en_roles_interview.txt", TRANSCRIPTS / "nl_meeting_voices.vtt", BAD / bad)
    with pytest.raises(InputError) as info:
        add(workspace, batch)
    assert bad in str(info.value.problems[0].file)
    assert snap(workspace) == before


def test_a_bad_manifest_leaves_the_workspace_as_it_was(snap, workspace):
    add(workspace, TRANSCRIPTS / "en_crlf.txt")
    before = snap(workspace)
    for case in ("missing_file", "bad_level", "bad_yaml", "many_problems"):
        with pytest.raises(InputError):
            add(workspace, MANIFESTS / case)
    assert snap(workspace) == before


def test_a_write_that_fails_halfway_is_rolled_back(snap, workspace, fixture_transcripts, fixture_segments):
    from dataclasses import replace

    add(workspace, TRANSCRIPTS / "nl_hash_stamps.txt")
    before = snap(workspace)
    tr = fixture_transcripts["nl-hash"]
    changed = replace(tr, content_hash="edited", text=tr.text + " ")
    segs = fixture_segments["nl-hash"]
    broken = segs[:3] + [replace(segs[3], end_char=segs[3].start_char)]  # violates the segments CHECK
    with pytest.raises(sqlite3.IntegrityError):
        workspace.add_transcript(changed, broken)
    assert snap(workspace) == before


def test_transactions_nest_an_inner_failure_takes_back_only_the_inner_part(workspace, fixture_transcripts,
                                                                            fixture_segments):
    tr, segs = fixture_transcripts["nl-hash"], fixture_segments["nl-hash"]
    with workspace.transaction():
        workspace.set_meta("outer", "before")
        with pytest.raises(KeyboardInterrupt), workspace.transaction():
            workspace.add_transcript(tr, segs)  # a transaction of its own, so three deep here
            assert workspace.count_segments() == len(segs)
            raise KeyboardInterrupt
        assert workspace.transcripts() == [] and workspace.count_segments() == 0
        workspace.set_meta("outer", "after")
    assert workspace.meta("outer") == "after" and workspace.status()["transcripts"] == 0
    workspace.add_transcript(tr, segs)  # the next transaction starts from a clean slate
    assert [t.id for t in workspace.transcripts()] == ["nl-hash"]


def test_transactions_nest_an_outer_failure_takes_back_everything(snap, workspace, fixture_transcripts,
                                                                   fixture_segments):
    before = snap(workspace)
    with pytest.raises(KeyboardInterrupt), workspace.transaction():
        workspace.set_meta("outer", "1")
        workspace.add_transcript(fixture_transcripts["nl-hash"], fixture_segments["nl-hash"])  # committed inside...
        raise KeyboardInterrupt
    assert snap(workspace) == before  # ...only as far as the outer transaction: taken back with it


def test_an_interrupted_batch_keeps_the_files_stored_before(workspace, copy_files, monkeypatch):
    batch = copy_files(TRANSCRIPTS / "en_crlf.txt", TRANSCRIPTS / "en_roles_interview.txt")
    real = Workspace.add_transcript

    def interrupted(self, tr, segments):
        if tr.meta.id == "en_roles_interview":
            raise KeyboardInterrupt
        return real(self, tr, segments)

    monkeypatch.setattr(Workspace, "add_transcript", interrupted)
    with pytest.raises(KeyboardInterrupt):
        add(workspace, batch)
    assert [t.id for t in workspace.transcripts()] == ["en_crlf"]
    monkeypatch.undo()
    assert add(workspace, batch) == {"en_crlf": ("unchanged", 0), "en_roles_interview": ("added", 11)}


def test_adding_logs_no_interview_text_at_info(workspace, caplog, fixture_segments):
    import logging

    with caplog.at_level(logging.INFO):
        add(workspace, TRANSCRIPTS)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "added 16" in logged
    texts = [s.text for segs in fixture_segments.values() for s in segs if len(s.text) > 12]
    assert not any(t in logged for t in texts)
