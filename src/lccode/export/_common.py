"""Shared by the exports: output paths, atomic writes and the provenance every output carries."""

from __future__ import annotations

import re
from pathlib import Path

from lccode.atomic import atomic_path, check_file_target
from lccode.errors import InputError
from lccode.export.i18n import t


def output_path(path: str | Path, suffix: str | None = None) -> Path:
    path = Path(path)
    if path.is_dir():
        raise InputError("the output path is a folder", file=path, expected=f"a file name{f' ending in {suffix}' if suffix else ''}",
                         fix=f"name the file to write, e.g. {path / ('lccode-export' + (suffix or ''))}")
    if suffix and path.suffix.lower() != suffix:
        raise InputError(f"the output file should end in {suffix}", file=path, expected=f"a name like export{suffix}",
                         fix=f"use {path.with_suffix(suffix).name}")
    check_file_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# Spreadsheet formula injection (OWASP, "CSV Injection"): Excel and LibreOffice run a cell that starts with
# = + - @ (or a tab or carriage return before one) as a formula, so a transcript line "=HYPERLINK(...)" or a
# community named "=cmd|..." would become live. A CSV cell that starts so gets a leading apostrophe, which the
# spreadsheet shows as text; a text already starting with apostrophes before such a character gets one more, so
# `from_sheet` can always undo it exactly. XLSX cells are typed as text and carry Excel's own "quote prefix" flag
# (what Excel stores when one types '=...), so they show unchanged and stay text when edited.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def formula_like(value) -> bool:
    return isinstance(value, str) and _FORMULA_START.match(value) is not None


def csv_cell(value):
    """A value for a CSV cell that no spreadsheet reads as a formula."""
    return "'" + value if formula_like(value) else value


def from_sheet(text: str) -> str:
    """Undo `csv_cell` on a cell read back from a CSV sheet."""
    return text[1:] if text.startswith("'") and formula_like(text) else text


def xlsx_text_cells(sheet) -> None:
    """Every cell of an openpyxl sheet whose text starts like a formula: stored as text, with the quote prefix."""
    for row in sheet.iter_rows():
        for cell in row:
            if formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


atomic_output = atomic_path  # a temp path that replaces `path` only when the block succeeds


def write_bytes_atomic(path: str | Path, data: bytes):
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def produced_by(prov) -> dict:
    """The short provenance stamped on records that may travel alone (a JSONL line)."""
    return {"lccode": prov.lccode_version, "model_id": prov.model_id, "model_hash": prov.model_hash,
            "codebook_id": prov.codebook_id, "codebook_hash": prov.codebook_hash}


def provenance_rows(prov, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs for a provenance sheet, box or note."""
    pct = f"{100 * prov.share_reviewed:.1f}%"
    rows = [
        (t("p_lccode_version", lang), prov.lccode_version),
        (t("p_created_at", lang), prov.created_at),
        (t("p_codebook", lang), prov.codebook_ref),
        (t("p_codebook_hash", lang), prov.codebook_hash),
        (t("p_model_id", lang), prov.model_id or t("p_no_model", lang)),
    ]
    if prov.model_id:
        rows += [(t("p_model_hash", lang), prov.model_hash or ""), (t("p_base_model", lang), prov.base_model or ""),
                 (t("p_coded_at", lang), prov.coded_at or "")]
    rows += [
        (t("p_transcripts", lang), str(prov.transcripts)),
        (t("p_segments", lang), str(prov.segments)),
        (t("p_coded_segments", lang), str(prov.coded_segments)),
        (t("p_reviewed_segments", lang), str(prov.reviewed_segments)),
        (t("p_share_reviewed", lang), pct),
    ]
    for k, v in dev_metric_items(prov, lang):
        rows.append((f"{t('p_dev', lang)}: {k}", v))
    return rows


def dev_metric_items(prov, lang: str = "en") -> list[tuple[str, str]]:
    """The model's dev-set figures with readable names (the dev set is not an independent test set)."""
    m = prov.dev_metrics or {}
    out = []
    for k in ("n", "micro_f1", "macro_f1", "micro_precision", "micro_recall", "mean_kappa", "krippendorff_alpha"):
        if k in m and m[k] is not None:
            out.append((t(f"m_{k}", lang), f"{m[k]:.3f}" if isinstance(m[k], float) else str(m[k])))
    for sub_lang, sub in sorted((m.get("per_language") or {}).items()):
        if isinstance(sub, dict) and "macro_f1" in sub:
            out.append((f"{t('m_macro_f1', lang)} ({sub_lang})", f"{sub['macro_f1']:.3f}"))
    parts = (("m_excerpts", m.get("excerpts")), ("m_dev_turns", m.get("transcript_turns")),
             ("m_test_turns", (m.get("test") or {}).get("turns")),
             ("m_check_excerpts", (m.get("check") or {}).get("excerpts")))
    for key, sub in parts:
        if isinstance(sub, dict) and "micro_f1" in sub:
            out.append((t(key, lang), f"micro-F1 {sub['micro_f1']:.3f}, macro-F1 {sub['macro_f1']:.3f}"))
    unreliable = unreliable_codes(prov)
    if unreliable:
        out.append((t("m_unreliable", lang), ", ".join(unreliable)))
    return out


def unreliable_codes(prov) -> list[str]:
    """Codes whose measured agreement is too low to count on (kappa < 0.6 on held-out transcript turns, else dev)."""
    m = prov.dev_metrics or {}
    return list((m.get("test") or {}).get("unreliable") or m.get("unreliable") or [])


# One naming scheme for every export, whether `lccode export ...` or `lccode sample` writes it: the kind, and the
# language of headers and text where there is one.
EXPORT_NAMES = {"report": "report-{lang}.html", "xlsx": "coded-{lang}.xlsx", "csv": "csv-{lang}", "jsonl": "coded.jsonl",
                "refi": "project-{lang}.qdpx"}


def export_name(kind: str, lang: str = "en") -> str:
    return EXPORT_NAMES[kind].format(lang=lang)
