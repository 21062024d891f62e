"""Who may reach the review pages: the session token, a loopback Host, same-origin posts, and safe headers.

Every request must carry the token, as ?token= (the printed link, which also sets a cookie) or that cookie.
Defence in depth around the token: a request must name a loopback Host (a DNS-rebinding page reaches
127.0.0.1 under its own host name), and a POST that says where it comes from (Origin, else Referer) must come
from this server (no cross-site form posts, even with the cookie present).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlencode

# Pages hold interview text: never cached, never framed, and the browser may fetch nothing from elsewhere.
# "same-origin" referrers: no address ever leaves for another site, and the page's own form posts carry their
# real Origin (under "no-referrer" a browser sends "Origin: null" even on a same-origin POST, see `same_origin`).
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"}
_LOOPBACK_HOST = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?", re.IGNORECASE)


def token_cookie_name(token: str) -> str:
    # Cookies ignore ports: a name per token keeps two servers on one machine from clobbering each other.
    return "lccode_token_" + hashlib.sha256(token.encode()).hexdigest()[:10]


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


def add_guard(app, token: str) -> None:
    """Put the checks in front of every request to `app`, static files included, and the security headers on
    every answer, refusals included."""
    from fastapi.responses import PlainTextResponse, RedirectResponse

    cookie = token_cookie_name(token)

    @app.middleware("http")
    async def guard(request, call_next):
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
