"""The review web app: server-rendered pages on 127.0.0.1, guarded by a session token; built here and served.

The parts: lccode.review.guard decides who may reach the pages, lccode.review.routes says what each address
does (with lccode.review.context for what every route reads from its request), and lccode.review.job runs the
quick retrain in the background. This module puts them together on one FastAPI app and runs it with uvicorn
on a socket bound before the address is printed.
"""
# FastAPI and uvicorn are imported inside the functions, so that importing this module (and `lccode --help`)
# stays fast.

import secrets
import socket
from pathlib import Path

from lccode.errors import LccodeError

HERE = Path(__file__).resolve().parent


def create_app(workspace: str | Path, token: str | None = None):
    """The review app for `workspace`, answering only to `token` (a fresh random one when none is given)."""
    from fastapi import FastAPI, Request
    from fastapi.staticfiles import StaticFiles

    from lccode.review.context import make_templates, page
    from lccode.review.guard import add_guard
    from lccode.review.job import RetrainJob
    from lccode.review.routes import router
    from lccode.workspace import Workspace

    workspace = Path(workspace)
    Workspace.open(workspace).close()  # fail now, with a clear message, if it is not a workspace
    app = FastAPI(title="lccode review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = token or secrets.token_urlsafe(24)
    app.state.workspace = workspace
    app.state.templates = make_templates()
    app.state.ranked = {}  # (run id, filters) -> ranked items; a new coding run makes a new key
    app.state.job = RetrainJob()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    add_guard(app, app.state.token)

    @app.exception_handler(LccodeError)
    async def user_error(request: Request, exc: LccodeError):
        return page(request, "message.html", status_code=400, title="Something needs fixing", message=exc.render())

    app.include_router(router)
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
