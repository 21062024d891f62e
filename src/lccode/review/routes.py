"""The review site's addresses and what each one does: the analyst's name, the queue, a segment and its
decision, the quick retrain, and the read-only pages (a transcript, the disagreements, the codebook).

Each decision is written to the workspace the moment it is made, as a new row, so nothing is lost when the
server stops and two analysts never overwrite each other. Segment text never goes to the log.
"""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime. This module
# imports FastAPI on load, so only lccode.review.app imports it, when an app is built.

from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from lccode.clock import hms
from lccode.errors import InputError
from lccode.review import queue as q
from lccode.review import views as v
from lccode.review.context import ANALYST_COOKIE, analyst_of, filters_of, fq, need_analyst, open_ws, page, queue_for
from lccode.review.guard import safe_next

ACTIONS = ("save", "accept", "none", "unsure")
router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home():
    return RedirectResponse("/review", status_code=303)


@router.get("/analyst", response_class=HTMLResponse)
def analyst_form(request: Request, next: str = "/review"):
    return page(request, "analyst.html", next=safe_next(next))


@router.post("/analyst")
def analyst_set(name: str = Form(""), next: str = Form("/review")):
    name = " ".join(name.split())[:60]
    resp = RedirectResponse(safe_next(next) if name else "/analyst", status_code=303)
    if name:
        resp.set_cookie(ANALYST_COOKIE, quote(name), max_age=365 * 24 * 3600, samesite="strict")
    return resp


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, saved: str | None = None, others: str | None = None):
    if (redirect := need_analyst(request)) is not None:
        return redirect
    ws = open_ws(request)
    try:
        filters = filters_of(request)
        queue = queue_for(request, ws, analyst_of(request), filters, bool(others))
        if queue.items:
            return RedirectResponse(f"/segment/{quote(queue.items[0].key, safe='')}?"
                                    + fq(queue.filters, saved=saved, others=others), status_code=303)
        return page(request, "done.html", ws, queue=queue, fq=fq(queue.filters), filters=queue.filters,
                    menus={f: q.filter_values(ws, f) for f in q.FILTERS}, others_flag=others,
                    previous=v.previous_key(ws, analyst_of(request), None), job=request.app.state.job.snapshot())
    finally:
        ws.close()


@router.get("/segment/{key:path}", response_class=HTMLResponse)
def segment(request: Request, key: str, saved: str | None = None, others: str | None = None):
    if (redirect := need_analyst(request)) is not None:
        return redirect
    analyst = analyst_of(request)
    ws = open_ws(request)
    try:
        seg = ws.segment(key)
        if seg is None:
            return page(request, "message.html", ws, status_code=404, title="Segment not found",
                        message=f"There is no segment '{key}' in this workspace (its transcript may have been "
                                "edited and re-added). Go back to the queue to continue.")
        cb = ws.codebook()
        queue = queue_for(request, ws, analyst, filters_of(request), bool(others))
        tr = ws.transcript(seg.transcript_id)
        lang = v.page_lang(cb, seg.lang, tr.language)
        views = v.code_views(cb, lang)
        probs, proposed = v.prediction(ws, key, queue.run.model_id)
        decisions = v.latest_by_analyst(ws, key)
        mine = next((d for d in decisions if d["analyst"] == analyst), None)
        before, after = ws.neighbours(seg)
        place = next(((i, it) for i, it in enumerate(queue.items) if it.key == key), None)
        reason = v.why(probs, queue.run.thresholds, views, place[1].score if place else None,
                       place[0] + 1 if place else None) | {"turn": v.turn_codes(ws, seg, queue.run.model_id, proposed, views)}
        return page(request, "segment.html", ws, seg=seg, tr=tr, lang=lang, time=hms(seg.t_start),
                    before=before, after=after, views=views, groups=v.code_groups(cb, lang, views),
                    suggestions=v.suggestions(probs, queue.run.thresholds, proposed, views),
                    selected=set(mine["codes"] if mine else proposed), proposed=proposed, mine=mine,
                    others=[d for d in decisions if d["analyst"] != analyst], disagreement=v.disagree(decisions),
                    queue=queue, filters=queue.filters, fq=fq(queue.filters, others=others),
                    saved=ws.segment(saved) if saved else None,
                    previous=v.previous_key(ws, analyst, key), menus={f: q.filter_values(ws, f) for f in q.FILTERS},
                    others_flag=others, why=reason, job=request.app.state.job.snapshot())
    finally:
        ws.close()


@router.post("/segment/{key:path}")
def decide(request: Request, key: str, action: str = Form("save"), codes: list[str] = Form(default=[]),
           filters: str = Form("")):
    from lccode.workspace.decisions import record_decision

    if action not in ACTIONS:
        raise InputError(f"unknown action '{action}'", field="action", expected=" | ".join(ACTIONS))
    analyst = analyst_of(request)
    if not analyst:
        return RedirectResponse("/analyst", status_code=303)
    ws = open_ws(request)
    try:
        run = q.latest_code_run(ws)
        probs, proposed = v.prediction(ws, key, run.model_id)
        chosen = {"accept": proposed, "none": []}.get(action, codes)
        record_decision(ws, key, analyst, list(chosen), status="unsure" if action == "unsure" else "coded",
                        source="web", proposal=probs or None, model_id=run.model_id if probs else None)
    finally:
        ws.close()
    # Only known query keys go back into the redirect, whatever the form carried.
    keep = [(k, val) for k, val in parse_qsl(filters) if k in (*q.FILTERS, "others")]
    return RedirectResponse("/review?" + urlencode([*keep, ("saved", key)]), status_code=303)


@router.post("/retrain")
def retrain_start(request: Request):
    request.app.state.job.start(request.app.state.workspace)
    return RedirectResponse("/retrain", status_code=303)


@router.get("/retrain", response_class=HTMLResponse)
def retrain_page(request: Request):
    from lccode.workspace.decisions import final_decisions

    job = request.app.state.job.snapshot()
    ws = open_ws(request)
    try:
        decided = sum(1 for d in final_decisions(ws) if d.status == "coded")
        return page(request, "retrain.html", ws, job=job, decided=decided)
    finally:
        ws.close()


@router.get("/retrain/status")
def retrain_status(request: Request):
    return JSONResponse(request.app.state.job.snapshot())


@router.get("/transcript/{tid:path}", response_class=HTMLResponse)
def transcript(request: Request, tid: str, at: str | None = None):
    ws = open_ws(request)
    try:
        tr = ws.transcript(tid)
        if tr is None:
            return page(request, "message.html", ws, status_code=404, title="Transcript not found",
                        message=f"There is no transcript '{tid}' in this workspace.")
        cb = ws.codebook()
        turns = v.transcript_turns(ws, tid, ws.current_model_id())
        lang = v.page_lang(cb, tr.language)
        views = v.code_views(cb, lang)
        present = sorted({c for t in turns for s in t["segments"] for c in s["codes"]}, key=cb.code_ids.index)
        return page(request, "transcript.html", ws, tr=tr, turns=turns, views=views, at=at,
                    legend=[views[c] for c in present if c in views])
    finally:
        ws.close()


@router.get("/disagreements", response_class=HTMLResponse)
def disagreements(request: Request):
    ws = open_ws(request)
    try:
        cb = ws.codebook()
        return page(request, "disagreements.html", ws, rows=v.disagreements(ws), views=v.code_views(cb, cb.languages[0]))
    finally:
        ws.close()


@router.get("/codebook", response_class=HTMLResponse)
def codebook(request: Request, lang: str | None = None):
    ws = open_ws(request)
    try:
        cb = ws.codebook()
        lang = v.page_lang(cb, lang)
        return page(request, "codebook.html", ws, cb=cb, lang=lang, views=v.code_views(cb, lang))
    finally:
        ws.close()
