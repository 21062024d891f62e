"""Coded excerpts and summary tables as XLSX (one sheet per table), CSV (one file per table) and JSONL.

Headers are in the reader's language; ids (segment key, code id) stay as they are so a row can always be
found back in the workspace. Every file is written to a temporary name first and renamed when complete.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from lccode.aggregate import CodedCorpus, Summary
from lccode.atomic import check_folder_target
from lccode.clock import hms
from lccode.export._common import atomic_output, csv_cell, output_path, produced_by, provenance_rows, write_bytes_atomic, xlsx_text_cells
from lccode.export.i18n import check_lang, t, value

EXCERPT_COLUMNS = ("segment_key", "transcript", "community", "level", "kind", "language", "speaker", "role", "turn",
                   "start_time", "end_time", "start_char", "end_char", "code_id", "code", "category", "probability",
                   "source", "reviewed_by", "text")
COUNT_COLUMNS = ("dimension", "group", "code_id", "code", "category", "segments", "group_segments", "share_segments",
                 "transcripts", "group_transcripts", "share_transcripts", "reviewed", "share_reviewed")
PERCENT = {"share_segments", "share_transcripts", "share_reviewed"}
WIDE = {"text": 80, "definition": 80, "code": 34, "category": 26, "code_a": 30, "code_b": 30, "segment_key": 30}


@dataclass(frozen=True)
class Table:
    id: str  # file name of its CSV, and what tests and scripts refer to
    sheet: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[list]


def excerpt_records(corpus: CodedCorpus) -> list[dict]:
    """One record per segment x final code, with ids and raw values (what the JSONL holds)."""
    cb = corpus.codebook
    out = []
    for s in corpus.segments:
        for code in s.codes:
            p = s.prob(code)
            out.append({
                "segment_key": s.key, "transcript": s.transcript_id, "community": s.community, "level": s.level,
                "kind": s.kind, "language": s.lang, "speaker": s.speaker, "role": s.role, "turn": s.turn_index,
                "start_time": s.t_start, "end_time": s.t_end, "start_char": s.start_char, "end_char": s.end_char,
                "code_id": code, "category_id": cb.code(code).category, "probability": None if p is None else round(p, 4),
                "source": s.source, "reviewed_by": list(s.analysts), "disagreement": s.disagreement, "text": s.text})
    return out


def build_tables(corpus: CodedCorpus, summary: Summary, lang: str) -> list[Table]:
    cb = corpus.codebook
    code_name = {c.id: c.label(lang) for c in cb.codes}
    cat_name = {c.id: c.label(lang) for c in cb.categories}

    def table(id_, columns, rows):
        return Table(id_, t(f"sheet_{id_}", lang), tuple(columns), tuple(t(c, lang) for c in columns), rows)

    excerpts = []
    for r in excerpt_records(corpus):
        excerpts.append([r["segment_key"], r["transcript"], r["community"], r["level"], value(r["kind"], lang),
                         value(r["language"], lang), r["speaker"], value(r["role"], lang), r["turn"],
                         hms(r["start_time"]), hms(r["end_time"]), r["start_char"], r["end_char"],
                         r["code_id"], code_name[r["code_id"]], cat_name[r["category_id"]], r["probability"],
                         value(r["source"], lang), ", ".join(r["reviewed_by"]), r["text"]])

    def count_rows(kind):
        rows = []
        for c in summary.counts:
            if c.kind != kind:
                continue
            name = code_name[c.code] if kind == "code" else cat_name[c.code]
            category = cat_name[cb.code(c.code).category] if kind == "code" else name
            dim = t("v_corpus", lang) if c.dimension == "corpus" else t(c.dimension, lang)
            rows.append([dim, value(c.group, lang), c.code, name, category, c.segments, c.group_segments,
                         c.share_segments, c.transcripts, c.group_transcripts, c.share_transcripts, c.reviewed,
                         c.share_reviewed])
        return rows

    communities = summary.groups("community")
    matrix = [[c.id, code_name[c.id], cat_name[c.category]]
              + [summary.count("community", g, c.id).segments for g in communities]
              + [summary.count("corpus", "all", c.id).segments] for c in cb.codes]
    cooc = [[value(o.unit, lang), o.code_a, code_name[o.code_a], o.code_b, code_name[o.code_b], o.count, o.count_a,
             o.count_b, round(o.jaccard, 4)] for o in summary.cooccurrence_segments + summary.cooccurrence_turns]
    ex = [[e.community, e.code, code_name[e.code], e.rank, e.transcript_id, e.speaker, value(e.role, lang),
           hms(e.t_start), e.start_char, e.end_char,
           None if e.probability is None else round(e.probability, 4), value(e.source, lang), e.segment_key, e.text]
          for e in summary.exemplars]
    book = [[cat_name[c.category], c.id, c.label(lang), c.definition.get(lang) or next(iter(c.definition.values()), ""),
             _color(cb, c.id)] for c in cb.codes]
    matrix_table = Table("matrix", t("sheet_matrix", lang), ("code_id", "code", "category", *communities, "corpus"),
                         (t("code_id", lang), t("code", lang), t("category", lang), *communities, t("v_corpus", lang)),
                         matrix)
    return [
        table("excerpts", EXCERPT_COLUMNS, excerpts),
        table("codes", COUNT_COLUMNS, count_rows("code")),
        table("categories", COUNT_COLUMNS, count_rows("category")),
        matrix_table,
        table("cooccurrence", ("unit", "code_a_id", "code_a", "code_b_id", "code_b", "count", "count_a", "count_b",
                               "jaccard"), cooc),
        table("exemplars", ("community", "code_id", "code", "rank", "transcript", "speaker", "role", "start_time",
                            "start_char", "end_char", "probability", "source", "segment_key", "text"), ex),
        table("codebook", ("category", "code_id", "code", "definition", "color"), book),
        table("provenance", ("key", "value"), [list(r) for r in provenance_rows(corpus.provenance, lang)]),
    ]


def _color(cb, code_id: str) -> str:
    from lccode.codebook import code_colors

    return code_colors(cb)[code_id]


def _load(ws, corpus, model_id):
    from lccode.aggregate import load_corpus, summarize

    corpus = corpus or load_corpus(ws, model_id)
    return corpus, summarize(corpus)


def write_xlsx(ws, path: str | Path, lang: str = "en", model_id: str | None = None,
               corpus: CodedCorpus | None = None) -> Path:
    """The workspace's coded excerpts and summary tables, one sheet each, plus a provenance sheet."""
    check_lang(lang)
    corpus, summary = _load(ws, corpus, model_id)
    return xlsx_from(corpus, summary, path, lang)


def xlsx_from(corpus: CodedCorpus, summary: Summary, path: str | Path, lang: str = "en") -> Path:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    check_lang(lang)
    path = output_path(path, ".xlsx")
    tables = build_tables(corpus, summary, lang)
    wb = Workbook()
    wb.remove(wb.active)
    prov = corpus.provenance
    wb.properties.creator = f"lccode {prov.lccode_version}"
    wb.properties.title = corpus.codebook.title.get(lang, corpus.codebook.id)
    wb.properties.description = f"model {prov.model_id} ({prov.model_hash}); codebook {prov.codebook_ref}"
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="2F3E4E")
    for tab in tables:
        sh = wb.create_sheet(tab.sheet[:31])
        sh.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in tab.headers])
        for cell in sh[1]:
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for row in tab.rows:
            sh.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
        for j, col in enumerate(tab.columns, 1):
            letter = get_column_letter(j)
            sh.column_dimensions[letter].width = WIDE.get(col, max(12, min(28, len(tab.headers[j - 1]) + 4)))
            for cell in sh[letter][1:]:
                if col in PERCENT:
                    cell.number_format = "0.0%"
                elif col in ("probability", "jaccard"):
                    cell.number_format = "0.000"
                elif col in ("text", "definition"):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif col == "color" and isinstance(cell.value, str):
                    cell.fill = PatternFill("solid", fgColor=cell.value.lstrip("#"))
        xlsx_text_cells(sh)  # quotes, names and headers that start with '=' are text, never a formula
        sh.freeze_panes = "A2"
        if tab.rows:
            sh.auto_filter.ref = sh.dimensions
    with atomic_output(path) as tmp:
        wb.save(tmp)
    return path


def write_csv(ws, folder: str | Path, lang: str = "en", model_id: str | None = None,
              corpus: CodedCorpus | None = None) -> list[Path]:
    """One CSV per table in `folder` (UTF-8 with BOM, so Excel shows accents right).

    The header row holds the column names the JSONL export uses (`transcript`, `start_char`, `code_id` ...), the
    same in every language, so scripts read both alike; the XLSX shows them as readable headers in `lang`."""
    check_lang(lang)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        from lccode.errors import InputError

        raise InputError("the CSV output must be a folder (one file per table)", file=folder,
                         expected="a folder, existing or new", fix="give a folder name, e.g. exports/csv")
    check_folder_target(folder)
    corpus, summary = _load(ws, corpus, model_id)
    folder.mkdir(parents=True, exist_ok=True)
    tables = build_tables(corpus, summary, lang)
    blobs = []
    for tab in tables:
        buf = io.StringIO()
        # Every text cell quoted: a Dutch Excel splits an unquoted cell at ';' and could start a new one with '='.
        w = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC)
        w.writerow([csv_cell(h) for h in tab.columns])
        w.writerows([["" if v is None else csv_cell(v) for v in row] for row in tab.rows])
        blobs.append((folder / f"{tab.id}.csv", buf.getvalue().encode("utf-8-sig")))
    # Everything is built before the first file is written, so a failure leaves the folder as it was.
    for path, data in blobs:
        write_bytes_atomic(path, data)
    return [p for p, _ in blobs]


def write_jsonl(ws, path: str | Path, model_id: str | None = None, corpus: CodedCorpus | None = None) -> Path:
    """One JSON object per segment x code; each line says what produced it, so lines can travel alone."""
    from lccode.aggregate import load_corpus

    path = output_path(path, ".jsonl")
    corpus = corpus or load_corpus(ws, model_id)
    stamp = produced_by(corpus.provenance)
    cb = corpus.codebook
    lines = []
    for r in excerpt_records(corpus):
        r = r | {"code": cb.code(r["code_id"]).name, "produced_by": stamp}
        lines.append(json.dumps(r, ensure_ascii=False))
    write_bytes_atomic(path, ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))
    return path
