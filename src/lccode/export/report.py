"""The HTML report: one self-contained file (inline CSS, charts as inline SVG) a team can open offline,
print, or lift charts from into a slide deck. Dutch or English text."""

from __future__ import annotations

import re
from pathlib import Path

from lccode.aggregate import CodedCorpus, Summary
from lccode.clock import hms
from lccode.export._common import output_path, provenance_rows, unreliable_codes, write_bytes_atomic
from lccode.export.i18n import TEXT, check_lang, t, value

TEMPLATES = Path(__file__).resolve().parent / "templates"
BREAKDOWN_DIMENSIONS = ("level", "kind", "language", "role")


def _anchor(s: str) -> str:
    return "c-" + re.sub(r"[^a-z0-9]+", "-", s.casefold()).strip("-")


def _pct(x: float | None) -> str:
    from lccode.export.charts import share_text

    return "" if x is None else "0%" if x == 0 else share_text(x)


def _provenance(prov, lang: str) -> list[tuple[str, list]]:
    """The provenance rows in three boxes: what produced the report, coverage, and the model's dev figures."""
    rows = provenance_rows(prov, lang)
    at = next((n for n, (k, _) in enumerate(rows) if k == t("p_transcripts", lang)), len(rows))
    dev = t("p_dev", lang) + ": "
    boxes = [(t("r_prov_what", lang), rows[:at]),
             (t("r_prov_figures", lang), [r for r in rows[at:] if not r[0].startswith(dev)])]
    metrics = [(k[len(dev):], v) for k, v in rows[at:] if k.startswith(dev)]
    if metrics:
        boxes.append((t("p_dev", lang), metrics))
    return boxes


def _tint(color: str, strength: float) -> str:
    """`color` mixed into white: 0 gives white, 1 the colour itself."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    strength = max(0.0, min(1.0, strength))
    return "#" + "".join(f"{round(255 - (255 - v) * strength):02X}" for v in rgb)


def _quote(e, lang: str) -> dict:
    who = e.speaker or "?"
    if e.role and (e.speaker or "").casefold() not in (e.role, value(e.role, lang)):
        who += f" ({value(e.role, lang)})"
    bits = [e.transcript_id, who]
    if e.t_start is not None:
        bits.append(hms(e.t_start))
    bits.append(f"{t('r_chars', lang)} {e.start_char}–{e.end_char}")
    return {"text": e.text, "meta": bits, "reviewed": e.source == "analyst",
            "p": None if e.probability is None else f"{e.probability:.2f}", "key": e.segment_key}


def _breakdown(summary: Summary, cb, lang: str) -> list[dict]:
    out = []
    for dim in BREAKDOWN_DIMENSIONS:
        rows = []
        # Shade relative to the largest share in this table, so differences show even when all shares are small.
        top = max([summary.count(dim, g, cat.id).share_segments for g in summary.groups(dim) for cat in cb.categories]
                  + [0.01])
        for g in summary.groups(dim):
            cells = []
            for cat in cb.categories:
                c = summary.count(dim, g, cat.id)
                cells.append({"text": _pct(c.share_segments), "n": c.segments,
                              "bg": _tint(cat.color or "#5B6773", 0.45 * c.share_segments / top)})
            n = summary.count(dim, g, cb.categories[0].id).group_segments
            rows.append({"group": value(g, lang), "n": n, "cells": cells})
        out.append({"title": t(dim, lang), "rows": rows})
    return out


def _cooc(items, cb, lang: str, top: int = 8) -> list[dict]:
    return [{"a": cb.code(o.code_a).label(lang), "b": cb.code(o.code_b).label(lang), "n": o.count,
             "ca": cb.category_of(o.code_a).color, "cb": cb.category_of(o.code_b).color,
             "jaccard": f"{o.jaccard:.2f}"} for o in items[:top]]


def build_context(corpus: CodedCorpus, summary: Summary, lang: str = "en", codes_per_community: int = 6,
                  quotes_per_code: int = 2) -> dict:
    from lccode.codebook import code_colors
    from lccode.export import charts

    cb, prov = corpus.codebook, corpus.provenance
    colors = code_colors(cb)
    communities = summary.groups("community")
    with_code = sum(1 for s in corpus.segments if s.codes)
    f1 = (prov.dev_metrics or {}).get("macro_f1")
    kpis = [(str(prov.transcripts), t("r_kpi_transcripts", lang)), (str(len(communities)), t("r_kpi_communities", lang)),
            (f"{prov.coded_segments:,}".replace(",", "\u202f"), t("r_kpi_segments", lang)),
            (_pct(with_code / prov.coded_segments if prov.coded_segments else 0), t("r_kpi_with_code", lang)),
            (_pct(prov.share_reviewed), t("r_kpi_reviewed", lang))]
    if f1 is not None:
        kpis.append((f"{f1:.2f}", t("r_kpi_f1", lang)))
    bar_labels = {"x": t("r_bars_x", lang), "tr": t("r_bars_tr", lang)}
    categories = [{"name": cat.label(lang), "color": cat.color or "#5B6773",
                   "description": cat.description.get(lang, ""),
                   "svg": charts.category_bars(summary, cb, cat, lang, bar_labels)} for cat in cb.categories]
    comm_labels = {"x": t("r_community_x", lang), "corpus": t("r_whole_corpus", lang), "none": t("r_no_codes", lang)}
    comms = []
    for g in communities:
        tids = sorted({s.transcript_id for s in corpus.segments if s.community == g})
        levels = sorted({corpus.transcripts[x]["level"] or "-" for x in tids})
        kinds = sorted({value(corpus.transcripts[x]["kind"], lang) for x in tids})
        top = sorted((summary.count("community", g, c) for c in cb.code_ids), key=lambda r: -r.segments)
        codes = []
        for r in [r for r in top if r.segments][:codes_per_community]:
            quotes = [_quote(e, lang) for e in summary.exemplars_for(g, r.code)[:quotes_per_code]]
            codes.append({"name": cb.code(r.code).label(lang), "id": r.code, "color": colors[r.code], "n": r.segments,
                          "share": _pct(r.share_segments), "quotes": quotes})
        segs = [s for s in corpus.segments if s.community == g]
        facts = [(str(len(tids)), t("r_kpi_transcripts", lang)), (str(len(segs)), t("r_kpi_segments", lang)),
                 (_pct(sum(1 for s in segs if s.codes) / len(segs)), t("r_kpi_with_code", lang)),
                 (_pct(sum(s.reviewed for s in segs) / len(segs)), t("r_kpi_reviewed", lang))]
        comms.append({"name": g, "anchor": _anchor(g), "levels": ", ".join(levels), "kinds": ", ".join(kinds),
                      "facts": facts,
                      "transcripts": ", ".join(tids), "svg": charts.community_bars(summary, cb, g, lang, comm_labels),
                      "codes": codes})
    book = [{"name": cat.label(lang), "color": cat.color or "#5B6773", "description": cat.description.get(lang, ""),
             "codes": [{"id": c, "name": cb.code(c).label(lang), "color": colors[c],
                        "definition": cb.code(c).definition.get(lang) or next(iter(cb.code(c).definition.values()))}
                       for c in cat.code_ids]} for cat in cb.categories]
    return {
        "lang": lang, "T": {k: t(k, lang) for k in TEXT}, "title": cb.title.get(lang, cb.id),
        "generated": t("r_generated", lang).format(date=prov.created_at[:10], version=prov.lccode_version),
        "kpis": kpis, "heatmap": charts.heatmap(summary, cb, lang, t("r_heatmap", lang), t("r_none_yet", lang)), "categories": categories,
        "breakdown": _breakdown(summary, cb, lang), "breakdown_heads": [c.label(lang) for c in cb.categories],
        "cooc_segment": _cooc(summary.cooccurrence_segments, cb, lang),
        "cooc_turn": _cooc(summary.cooccurrence_turns, cb, lang), "communities": comms, "codebook": book,
        "provenance": _provenance(prov, lang),
        "unreliable": (t("r_unreliable", lang).format(codes=", ".join(f"{c} ({cb.code(c).label(lang)})"
                                                                     for c in unreliable_codes(prov) if c in cb.code_ids))
                       if unreliable_codes(prov) else None),
        "unprocessed": (t("r_unprocessed_one" if len(corpus.unprocessed) == 1 else "r_unprocessed", lang)
                        .format(n=len(corpus.unprocessed)) if corpus.unprocessed else None),
    }


def render_html(corpus: CodedCorpus, summary: Summary, lang: str = "en") -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    check_lang(lang)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html").render(**build_context(corpus, summary, lang))


def write_report(ws, path: str | Path, lang: str = "en", model_id: str | None = None,
                 corpus: CodedCorpus | None = None) -> Path:
    """Render the workspace's report to one self-contained HTML file."""
    from lccode.aggregate import load_corpus, summarize

    check_lang(lang)
    path = output_path(path, ".html")
    corpus = corpus or load_corpus(ws, model_id)
    html = render_html(corpus, summarize(corpus), lang)
    write_bytes_atomic(path, html.encode("utf-8"))
    return path
