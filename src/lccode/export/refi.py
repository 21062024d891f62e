"""REFI-QDA export: a `.qdpx` project (ATLAS.ti, NVivo, MAXQDA, QualCoder open it) and a `.qdc` codebook.

Offsets are Unicode code points into the source text exactly as stored in the workspace (Python string
indices), and that same text is written to `Sources/<guid>.txt` as UTF-8 bytes with no newline translation,
so CRLF line endings, diacritics and emoji keep every selection on the right characters. GUIDs are uuid5
values derived from ids (codebook + code, transcript + content hash, segment key), so exporting twice gives
the same GUIDs and a QDA tool recognises codes it has seen before.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

from lccode.export._common import atomic_output, output_path, provenance_rows, write_bytes_atomic
from lccode.export.i18n import check_lang
from lccode.refi_format import MODEL_MARKER, MODEL_USER_NAME, MODEL_USER_PREFIX, NS_CODEBOOK, NS_PROJECT, validation_errors

_GUID_ROOT = uuid.UUID("5d0c1c6e-3f4b-5a27-9a43-6c636f646521")  # lccode's namespace for uuid5 GUIDs
METADATA_VARIABLES = ("community", "level", "kind", "language")


def guid(*parts: str) -> str:
    return str(uuid.uuid5(_GUID_ROOT, "/".join(parts)))


def code_guid(codebook_id: str, code_id: str) -> str:
    return guid("code", codebook_id, code_id)


def category_guid(codebook_id: str, category_id: str) -> str:
    return guid("category", codebook_id, category_id)


def _code_elements(parent, cb, lang: str, ns: str):
    """Categories as non-codable parent codes; codes under their category (or under their parent code)."""
    from lxml import etree

    from lccode.codebook import code_colors

    colors = code_colors(cb)
    made = {}
    for cat in cb.categories:
        cat_el = etree.SubElement(parent, f"{{{ns}}}Code", guid=category_guid(cb.id, cat.id), name=cat.label(lang),
                                  isCodable="false")
        if cat.color:
            cat_el.set("color", cat.color)
        desc = cat.description.get(lang) or next(iter(cat.description.values()), "")
        etree.SubElement(cat_el, f"{{{ns}}}Description").text = f"{desc} [lccode id: {cat.id}]".lstrip()
        pending = [cb.code(c) for c in cat.code_ids]
        # Children after parents, whatever order the codebook lists them in.
        while pending:
            rest = []
            for code in pending:
                if code.parent and code.parent not in made:
                    rest.append(code)
                    continue
                host = made.get(code.parent, cat_el)
                el = etree.SubElement(host, f"{{{ns}}}Code", guid=code_guid(cb.id, code.id), name=code.label(lang),
                                      isCodable="true", color=colors[code.id])
                etree.SubElement(el, f"{{{ns}}}Description").text = (
                    (code.definition.get(lang) or next(iter(code.definition.values()), "")) + f" [lccode id: {code.id}]")
                made[code.id] = el
            if len(rest) == len(pending):  # a parent in another category: hang the rest under this category
                for code in rest:
                    made[code.parent] = cat_el
            pending = rest


def codebook_xml(cb, lang: str = "en") -> bytes:
    from lxml import etree

    from lccode import __version__

    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK},
                         origin=f"lccode {__version__}; codebook {cb.ref}")
    _code_elements(etree.SubElement(root, f"{{{NS_CODEBOOK}}}Codes"), cb, lang, NS_CODEBOOK)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _probability_note(seg, lang: str, model_id: str | None = None) -> str:
    label = "kans volgens model" if lang == "nl" else "model probability"
    probs = "; ".join(f"{c}: {label} {seg.prob(c):.3f}" for c in seg.codes if seg.prob(c) is not None)
    if seg.reviewed:
        who = ", ".join(seg.analysts)
        head = f"beoordeeld door {who}" if lang == "nl" else f"reviewed by {who}"
    else:
        head = "gecodeerd door lccode-model" if lang == "nl" else "coded by the lccode model"
        head += f" {MODEL_MARKER}: {model_id or 'model'}]"
    return f"{head}; {probs}" if probs else head


def project_xml(corpus, sources: dict[str, dict], lang: str = "en") -> bytes:
    """`sources`: transcript id -> {guid, text}; offsets in the selections index into that text."""
    from lxml import etree

    cb, prov = corpus.codebook, corpus.provenance
    P = f"{{{NS_PROJECT}}}"
    root = etree.Element(f"{P}Project", nsmap={None: NS_PROJECT}, name=cb.title.get(lang, cb.id),
                         origin=f"lccode {prov.lccode_version}", creationDateTime=prov.created_at)
    users: dict[str, str] = {}

    def user(name: str, model: bool = False) -> str:
        key = (MODEL_USER_PREFIX + name) if model else name
        if key not in users:
            users[key] = guid("user", key)
        return users[key]

    users_el = etree.SubElement(root, f"{P}Users")
    cb_el = etree.SubElement(etree.SubElement(root, f"{P}CodeBook"), f"{P}Codes")
    _code_elements(cb_el, cb, lang, NS_PROJECT)
    # Cases carry the community (and a shared level); every source also carries all four as variables, since
    # QualCoder and others show a file's own variables but do not link files to cases.
    variables = {name: guid("variable", name) for name in METADATA_VARIABLES}
    vars_el = etree.SubElement(root, f"{P}Variables")
    for name, g in variables.items():
        etree.SubElement(vars_el, f"{P}Variable", guid=g, name=name, typeOfVariable="Text")

    def var_value(parent, name, val):
        vv = etree.SubElement(parent, f"{P}VariableValue")
        etree.SubElement(vv, f"{P}VariableRef", targetGUID=variables[name])
        etree.SubElement(vv, f"{P}TextValue").text = val

    by_community: dict[str, list[str]] = {}
    for tid, meta in sorted(corpus.transcripts.items()):
        if tid in sources:
            by_community.setdefault(meta["community"], []).append(tid)
    if by_community:
        cases_el = etree.SubElement(root, f"{P}Cases")
        for community, tids in sorted(by_community.items()):
            case = etree.SubElement(cases_el, f"{P}Case", guid=guid("case", community), name=community)
            var_value(case, "community", community)
            levels = {corpus.transcripts[t]["level"] for t in tids}
            if len(levels) == 1 and None not in levels:
                var_value(case, "level", levels.pop())
            for tid in tids:
                etree.SubElement(case, f"{P}SourceRef", targetGUID=sources[tid]["guid"])

    segs_by_tr: dict[str, list] = {}
    for s in corpus.segments:
        if s.codes:
            segs_by_tr.setdefault(s.transcript_id, []).append(s)
    if sources:
        src_el = etree.SubElement(root, f"{P}Sources")
    for tid, src in sorted(sources.items()):
        meta = corpus.transcripts[tid]
        ts = etree.SubElement(src_el, f"{P}TextSource", guid=src["guid"], name=tid,
                              plainTextPath=f"internal://{src['guid']}.txt")
        etree.SubElement(ts, f"{P}Description").text = " · ".join(
            str(v) for v in (meta["community"], meta["level"], meta["kind"], meta["date"]) if v)
        for s in segs_by_tr.get(tid, []):
            if src["text"][s.start_char:s.end_char] != s.text:
                raise RuntimeError(f"segment {s.key}: its offsets do not point at its text in transcript {tid}")
            who = user(s.analysts[-1]) if s.reviewed and s.analysts else user(prov.model_id or "model", model=True)
            sel = etree.SubElement(ts, f"{P}PlainTextSelection", guid=guid("selection", s.key), name=s.text[:80],
                                   startPosition=str(s.start_char), endPosition=str(s.end_char), creatingUser=who)
            etree.SubElement(sel, f"{P}Description").text = _probability_note(s, lang, prov.model_id)
            for code in s.codes:
                coding = etree.SubElement(sel, f"{P}Coding", guid=guid("coding", s.key, code), creatingUser=who)
                etree.SubElement(coding, f"{P}CodeRef", targetGUID=code_guid(cb.id, code))
        for name in METADATA_VARIABLES:
            if meta[name]:
                var_value(ts, name, meta[name])
    for key, g in users.items():
        model = key.startswith(MODEL_USER_PREFIX)
        name = f"{MODEL_USER_NAME}{key[len(MODEL_USER_PREFIX):]}" if model else key
        etree.SubElement(users_el, f"{P}User", guid=g, name=name, id=key if model else name)
    if not users:
        root.remove(users_el)
    etree.SubElement(root, f"{P}Description").text = "\n".join(f"{k}: {v}" for k, v in provenance_rows(prov, lang))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_qdpx(ws, path: str | Path, lang: str = "en", model_id: str | None = None, corpus=None) -> Path:
    """Write PROJECT.qdpx and, beside it, PROJECT.qdc; both are checked against the REFI-QDA schemas first."""
    from lccode.aggregate import load_corpus

    check_lang(lang)
    path = output_path(path, ".qdpx")
    corpus = corpus or load_corpus(ws, model_id)
    hashes = {t.id: t.content_hash for t in ws.transcripts()}
    sources = {tid: {"guid": guid("source", tid, hashes[tid]), "text": ws.transcript_text(tid)} for tid in corpus.transcripts}
    xml = project_xml(corpus, sources, lang)
    qdc = codebook_xml(corpus.codebook, lang)
    for data, name in ((xml, "Project.xsd"), (qdc, "Codebook.xsd")):
        errors = validation_errors(data, name)
        if errors:  # a bug in lccode, not in the user's data: say so plainly
            raise RuntimeError(f"lccode built REFI-QDA XML that fails {name}: {errors[:3]}")
    with atomic_output(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.qde", xml)
            for src in sources.values():
                # Bytes, not str: zipfile must not touch line endings, and offsets count these exact characters.
                z.writestr(f"Sources/{src['guid']}.txt", src["text"].encode("utf-8"))
    qdc_path = path.with_suffix(".qdc")
    write_bytes_atomic(qdc_path, qdc)
    return path
