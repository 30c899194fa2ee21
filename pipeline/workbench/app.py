"""The workbench's FastAPI application: configuration, templates, middleware and the worker.

`create_app(data_dir, token=…, limits=…)` builds one application over one data folder;
`chithi serve` runs it with uvicorn, and the tests run it the same way on a free port.
Pages are rendered on the server (Jinja2, autoescaped) with a little plain JavaScript
(static/app.js) for the progress bar and the detail panel; every asset is served from the
package, so the workbench works on a laptop with no network.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .. import __version__
from ..compare.notices import labels as report_labels
from ..compare.quotes import plain
from ..compare.report import vn_date
from .jobs import Worker
from .security import Limits, csrf_token, guard
from .storage import Store
from .textview import ui

log = logging.getLogger("chithi.workbench")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("pipeline.workbench", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(ui=ui, report=report_labels, version=__version__, csrf_token=csrf_token)
    env.filters["vn_date"] = vn_date
    env.filters["plain"] = plain
    env.filters["when"] = when
    env.filters["percent"] = lambda v: "—" if v is None else f"{round(100 * v)}%"
    return env


def when(iso: str | None) -> str:
    """'2026-12-02T14:11:07+00:00' → '02/12/2026 14:11 UTC', as the review times are shown."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    return moment.strftime("%d/%m/%Y %H:%M") + (" UTC" if moment.utcoffset() == timedelta(0) else "")


def create_app(data_dir: Path, *, token: str | None = None, limits: Limits | None = None, start_worker: bool = True) -> FastAPI:
    store = Store(data_dir)
    worker = Worker(store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_worker:
            worker.start()
        yield
        worker.stop()

    app = FastAPI(title="chithi", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    templates = Jinja2Templates(env=_environment())

    def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def message(request: Request, key: str, status_code: int, **values: Any) -> Response:
        text = ui()["messages"][key].format(**values)
        return render(request, "message.html", {"message": text}, status_code=status_code)

    app.state.store, app.state.worker, app.state.secret = store, worker, store.secret()
    app.state.token, app.state.limits = token or None, limits or Limits()
    app.state.render, app.state.message = render, message
    app.middleware("http")(guard)
    app.mount("/static", StaticFiles(packages=[("pipeline.workbench", "static")]), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return message(request, "not_found", 404)
        return render(request, "message.html", {"message": str(exc.detail)}, status_code=exc.status_code)

    from . import routes_plans, routes_review

    app.include_router(routes_plans.router)
    app.include_router(routes_review.router)
    return app
