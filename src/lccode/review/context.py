"""What every review route reads from its request, and the page rendered around it.

The app keeps its shared state on `app.state` (set up in lccode.review.app): the workspace folder, the
templates, the ranked queues and the retrain job. Here a route gets its own workspace connection, the analyst
signed in on this browser, the queue filters in the address, the analyst's queue, and its page.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlencode

from lccode import __version__
from lccode.review import queue as q
from lccode.review import views as v

ANALYST_COOKIE = "lccode_analyst"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def make_templates():
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["q"] = lambda s: quote(str(s), safe="")
    templates.env.globals["version"] = __version__
    return templates


def open_ws(request):
    from lccode.workspace import Workspace

    # One connection per request: SQLite connections and transactions are not shared between threads.
    return Workspace.open(request.app.state.workspace)


def analyst_of(request) -> str | None:
    name = unquote(request.cookies.get(ANALYST_COOKIE, "")).strip()
    return name or None


def need_analyst(request):
    """None when an analyst is signed in, else the redirect to the name form (coming back here after)."""
    from fastapi.responses import RedirectResponse

    if analyst_of(request):
        return None
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/analyst?" + urlencode({"next": here}), status_code=303)


def filters_of(request) -> dict[str, str]:
    return {k: request.query_params[k] for k in q.FILTERS if request.query_params.get(k)}


def fq(filters: dict, **extra) -> str:
    """The query string that keeps the analyst's filters (and any non-empty extras) from page to page."""
    return urlencode({**filters, **{k: val for k, val in extra.items() if val}})


def queue_for(request, ws, analyst, filters, skip_others=False):
    state = request.app.state
    run = q.latest_code_run(ws)
    filters = q.clean_filters(ws, filters)
    key = (run.run_id, tuple(sorted(filters.items())))
    if key not in state.ranked:  # ranking is the slow part; recent filter choices are kept
        state.ranked = dict(list({key: q.rank(ws, run, filters), **state.ranked}.items())[:16])
    mine = q.decided_keys(ws, analyst)
    ranked = state.ranked[key]
    return q.build_queue(q.without_others(ranked, ws, mine) if skip_others else ranked, run, mine, filters=filters)


def page(request, name, ws=None, status_code=200, **ctx):
    """Template `name` with what every page shows: the analyst's name and the number of disagreements."""
    analyst = analyst_of(request)
    n_dis = len(v.disagreements(ws)) if ws is not None else 0
    return request.app.state.templates.TemplateResponse(request, name, {"analyst": analyst, "n_disagreements": n_dis, **ctx},
                                                        status_code=status_code)
