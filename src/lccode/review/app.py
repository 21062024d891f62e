"""The review web app: server-rendered pages on 127.0.0.1, guarded by a session token.

Every request must carry the token, as ?token= (the printed link, which also sets a cookie) or that cookie.
Defence in depth around the token: a request must name a loopback Host (a DNS-rebinding page reaches
127.0.0.1 under its own host name), and a POST that says where it comes from (Origin, else Referer) must come
from this server (no cross-site form posts, even with the cookie present).
Each decision is written to the workspace the moment it is made, as a new row, so nothing is lost when the
server stops and two analysts never overwrite each other. Segment text never goes to the log.
"""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime, and the
# request/form types are imported inside create_app so that `lccode --help` stays fast.

import re
import secrets
import socket
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

from lccode import __version__
from lccode.clock import hms
from lccode.errors import LccodeError

HERE = Path(__file__).resolve().parent
ANALYST_COOKIE = "lccode_analyst"
ACTIONS = ("save", "accept", "none", "unsure")
# Pages hold interview text: never cached, never framed, and the browser may fetch nothing from elsewhere.
# "same-origin" referrers: no address ever leaves for another site, and the page's own form posts carry their
# real Origin (under "no-referrer" a browser sends "Origin: null" even on a same-origin POST, see `same_origin`).
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"}


def token_cookie_name(token: str) -> str:
    import hashlib

    # Cookies ignore ports: a name per token keeps two servers on one machine from clobbering each other.
    return "lccode_token_" + hashlib.sha256(token.encode()).hexdigest()[:10]


_LOOPBACK_HOST = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?", re.IGNORECASE)


def loopback_host(host: str | None) -> bool:
    """True for a Host header naming this computer's loopback address, with or without a port."""
    return bool(host) and _LOOPBACK_HOST.fullmatch(host) is not None


def same_origin(host: str, origin: str | None, referer: str | None) -> bool:
    """A POST's Origin (or, without one, its Referer) names this server; a request naming neither passes (it does
    not come from a browser page, and the token still guards it)."""
    own = f"http://{host.lower()}"
    if origin is not None:
        return origin.lower() == own
    if referer is not None:
        return referer.lower() == own or referer.lower().startswith(own + "/")
    return True


def safe_next(target: str | None) -> str:
    """Only paths on this server: '//host' or '/\\host' would send the browser elsewhere."""
    if target and target.startswith("/") and target[1:2] not in ("/", "\\"):
        return target
    return "/review"


class RetrainJob:
    """One quick retrain at a time, in a background thread; the page polls its snapshot."""

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._state = {"state": "idle"}

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._state)

    def _set(self, **kw):
        with self._lock:
            self._state = self._state | kw

    def start(self, workspace: Path) -> bool:
        import threading
        import time

        with self._lock:
            if self._state.get("state") == "running":
                return False
            self._state = {"state": "running", "stage": "starting", "done": 0, "total": 0, "started": time.time()}

        def run():
            from lccode.review.retrain import retrain_workspace

            try:
                out = retrain_workspace(workspace, progress=lambda stage, done, total: self._set(
                    stage=stage, done=done, total=total, seconds=round(time.time() - self._state["started"])))
                self._set(state="done", result=out, seconds=out["seconds"])
            except LccodeError as exc:
                self._set(state="failed", error=exc.render())
            except Exception as exc:  # shown on the page; the server keeps running
                self._set(state="failed", error=f"{type(exc).__name__}: {exc}")

        threading.Thread(target=run, name="lccode-retrain", daemon=True).start()
        return True


def create_app(workspace: str | Path, token: str | None = None):
    from fastapi import FastAPI, Form, Request
    from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    from lccode.review import queue as q
    from lccode.review import views as v
    from lccode.workspace import Workspace

    workspace = Path(workspace)
    Workspace.open(workspace).close()  # fail now, with a clear message, if it is not a workspace
    token = token or secrets.token_urlsafe(24)
    cookie = token_cookie_name(token)
    app = FastAPI(title="lccode review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = token
    app.state.ranked = {}  # (run id, filters) -> ranked items; a new coding run makes a new key
    app.state.job = RetrainJob()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["q"] = lambda s: quote(str(s), safe="")
    templates.env.globals["version"] = __version__
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        given = request.query_params.get("token")
        host = request.headers.get("host", "")
        if not loopback_host(host):
            resp = PlainTextResponse("This review page answers only as 127.0.0.1 or localhost: open the link that "
                                     "'lccode review serve' printed.", status_code=421)
        elif request.method not in ("GET", "HEAD") and not same_origin(
                host, request.headers.get("origin"), request.headers.get("referer")):
            resp = PlainTextResponse("Refused: this form was sent from another site. Decisions can only be made on "
                                     "the review page itself.", status_code=403)
        elif given is not None and secrets.compare_digest(given, token):
            if request.method == "GET":  # drop the token from the address bar; the cookie carries it from now on
                rest = [(k, val) for k, val in request.query_params.multi_items() if k != "token"]
                resp = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""), status_code=303)
            else:
                resp = await call_next(request)
            resp.set_cookie(cookie, token, httponly=True, samesite="strict")
        elif secrets.compare_digest(request.cookies.get(cookie, ""), token):
            resp = await call_next(request)
        else:
            resp = PlainTextResponse("This review session needs its link: open the URL that 'lccode review serve' "
                                     "printed (it ends in ?token=...).", status_code=403)
        for k, val in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, val)
        return resp

    def open_ws():
        # One connection per request: SQLite connections and transactions are not shared between threads.
        return Workspace.open(workspace)

    def analyst_of(request: Request) -> str | None:
        name = unquote(request.cookies.get(ANALYST_COOKIE, "")).strip()
        return name or None

    def filters_of(request: Request) -> dict[str, str]:
        return {k: request.query_params[k] for k in q.FILTERS if request.query_params.get(k)}

    def fq(filters: dict, **extra) -> str:
        return urlencode({**filters, **{k: val for k, val in extra.items() if val}})

    def queue_for(ws, analyst, filters, skip_others=False):
        run = q.latest_code_run(ws)
        filters = q.clean_filters(ws, filters)
        key = (run.run_id, tuple(sorted(filters.items())))
        if key not in app.state.ranked:  # ranking is the slow part; recent filter choices are kept
            app.state.ranked = dict(list({key: q.rank(ws, run, filters), **app.state.ranked}.items())[:16])
        mine = q.decided_keys(ws, analyst)
        ranked = app.state.ranked[key]
        return q.build_queue(q.without_others(ranked, ws, mine) if skip_others else ranked, run, mine, filters=filters)

    def page(request, name, ws=None, status_code=200, **ctx):
        analyst = analyst_of(request)
        n_dis = len(v.disagreements(ws)) if ws is not None else 0
        return templates.TemplateResponse(request, name, {"analyst": analyst, "n_disagreements": n_dis, **ctx},
                                          status_code=status_code)

    def need_analyst(request: Request):
        if analyst_of(request):
            return None
        here = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse("/analyst?" + urlencode({"next": here}), status_code=303)

    @app.exception_handler(LccodeError)
    async def user_error(request: Request, exc: LccodeError):
        return page(request, "message.html", status_code=400, title="Something needs fixing", message=exc.render())

    @app.get("/", response_class=HTMLResponse)
    def home():
        return RedirectResponse("/review", status_code=303)

    @app.get("/analyst", response_class=HTMLResponse)
    def analyst_form(request: Request, next: str = "/review"):
        return page(request, "analyst.html", next=safe_next(next))

    @app.post("/analyst")
    def analyst_set(name: str = Form(""), next: str = Form("/review")):
        name = " ".join(name.split())[:60]
        resp = RedirectResponse(safe_next(next) if name else "/analyst", status_code=303)
        if name:
            resp.set_cookie(ANALYST_COOKIE, quote(name), max_age=365 * 24 * 3600, samesite="strict")
        return resp

    @app.get("/review", response_class=HTMLResponse)
    def review(request: Request, saved: str | None = None, others: str | None = None):
        if (redirect := need_analyst(request)) is not None:
            return redirect
        ws = open_ws()
        try:
            filters = filters_of(request)
            queue = queue_for(ws, analyst_of(request), filters, bool(others))
            if queue.items:
                return RedirectResponse(f"/segment/{quote(queue.items[0].key, safe='')}?"
                                        + fq(queue.filters, saved=saved, others=others), status_code=303)
            return page(request, "done.html", ws, queue=queue, fq=fq(queue.filters), filters=queue.filters,
                        menus={f: q.filter_values(ws, f) for f in q.FILTERS}, others_flag=others,
                        previous=v.previous_key(ws, analyst_of(request), None), job=app.state.job.snapshot())
        finally:
            ws.close()

    @app.get("/segment/{key:path}", response_class=HTMLResponse)
    def segment(request: Request, key: str, saved: str | None = None, others: str | None = None):
        if (redirect := need_analyst(request)) is not None:
            return redirect
        analyst = analyst_of(request)
        ws = open_ws()
        try:
            seg = ws.segment(key)
            if seg is None:
                return page(request, "message.html", ws, status_code=404, title="Segment not found",
                            message=f"There is no segment '{key}' in this workspace (its transcript may have been "
                                    "edited and re-added). Go back to the queue to continue.")
            cb = ws.codebook()
            queue = queue_for(ws, analyst, filters_of(request), bool(others))
            tr = ws.transcript(seg.transcript_id)
            lang = v.page_lang(cb, seg.lang, tr.language)
            views = v.code_views(cb, lang)
            probs, proposed = v.prediction(ws, key, queue.run.model_id)
            decisions = v.latest_by_analyst(ws, key)
            mine = next((d for d in decisions if d["analyst"] == analyst), None)
            before, after = ws.neighbours(seg)
            place = next(((i, it) for i, it in enumerate(queue.items) if it.key == key), None)
            reason = v.why(probs, queue.run.thresholds, views, place[1].score if place else None,
                           place[0] + 1 if place else None)
            return page(request, "segment.html", ws, seg=seg, tr=tr, lang=lang, time=hms(seg.t_start),
                        before=before, after=after, views=views, groups=v.code_groups(cb, lang, views),
                        suggestions=v.suggestions(probs, queue.run.thresholds, proposed, views),
                        selected=set(mine["codes"] if mine else proposed), proposed=proposed, mine=mine,
                        others=[d for d in decisions if d["analyst"] != analyst], disagreement=v.disagree(decisions),
                        queue=queue, filters=queue.filters, fq=fq(queue.filters, others=others),
                        saved=ws.segment(saved) if saved else None,
                        previous=v.previous_key(ws, analyst, key), menus={f: q.filter_values(ws, f) for f in q.FILTERS},
                        others_flag=others, why=reason, job=app.state.job.snapshot())
        finally:
            ws.close()

    @app.post("/segment/{key:path}")
    def decide(request: Request, key: str, action: str = Form("save"), codes: list[str] = Form(default=[]),
               filters: str = Form("")):
        from lccode.errors import InputError
        from lccode.workspace.decisions import record_decision

        if action not in ACTIONS:
            raise InputError(f"unknown action '{action}'", field="action", expected=" | ".join(ACTIONS))
        analyst = analyst_of(request)
        if not analyst:
            return RedirectResponse("/analyst", status_code=303)
        ws = open_ws()
        try:
            run = q.latest_code_run(ws)
            probs, proposed = v.prediction(ws, key, run.model_id)
            chosen = {"accept": proposed, "none": []}.get(action, codes)
            record_decision(ws, key, analyst, list(chosen), status="unsure" if action == "unsure" else "coded",
                            source="web", proposal=probs or None, model_id=run.model_id if probs else None)
        finally:
            ws.close()
        # Only known query keys go back into the redirect, whatever the form carried.
        from urllib.parse import parse_qsl

        keep = [(k, val) for k, val in parse_qsl(filters) if k in (*q.FILTERS, "others")]
        return RedirectResponse("/review?" + urlencode([*keep, ("saved", key)]), status_code=303)

    @app.post("/retrain")
    def retrain_start():
        app.state.job.start(workspace)
        return RedirectResponse("/retrain", status_code=303)

    @app.get("/retrain", response_class=HTMLResponse)
    def retrain_page(request: Request):
        job = app.state.job.snapshot()
        ws = open_ws()
        try:
            from lccode.workspace.decisions import final_decisions

            decided = sum(1 for d in final_decisions(ws) if d.status == "coded")
            return page(request, "retrain.html", ws, job=job, decided=decided)
        finally:
            ws.close()

    @app.get("/retrain/status")
    def retrain_status():
        from fastapi.responses import JSONResponse

        return JSONResponse(app.state.job.snapshot())

    @app.get("/transcript/{tid:path}", response_class=HTMLResponse)
    def transcript(request: Request, tid: str, at: str | None = None):
        ws = open_ws()
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

    @app.get("/disagreements", response_class=HTMLResponse)
    def disagreements(request: Request):
        ws = open_ws()
        try:
            cb = ws.codebook()
            return page(request, "disagreements.html", ws, rows=v.disagreements(ws), views=v.code_views(cb, cb.languages[0]))
        finally:
            ws.close()

    @app.get("/codebook", response_class=HTMLResponse)
    def codebook(request: Request, lang: str | None = None):
        ws = open_ws()
        try:
            cb = ws.codebook()
            lang = v.page_lang(cb, lang)
            return page(request, "codebook.html", ws, cb=cb, lang=lang, views=v.code_views(cb, lang))
        finally:
            ws.close()

    return app


def free_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on a free port (or the one asked for), handed to uvicorn so no other program can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise LccodeError(f"cannot listen on {host}:{port} ({exc.strerror})", field="--port",
                          fix="leave --port out to use a free port") from None
    sock.listen(64)
    return sock


def make_server(workspace: str | Path, host: str = "127.0.0.1", port: int = 0, token: str | None = None):
    """The app, a bound socket and a uvicorn server ready to run; returns (server, socket, url)."""
    import uvicorn

    app = create_app(workspace, token)
    sock = free_socket(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}/?token={app.state.token}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config), sock, url


def serve(workspace: str | Path, host: str = "127.0.0.1", port: int = 0, on_ready=None) -> None:
    """Run the review server until interrupted; `on_ready(url)` is called once it listens."""
    server, sock, url = make_server(workspace, host, port)
    if on_ready:
        on_ready(url)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
