"""The compliance workbench: `chithi serve`, a Vietnamese web application in which compliance
staff upload local plans, check them against Directive 20-CT/TW, review each verdict and
export the result.

    app            the FastAPI application: templates, middleware, the worker (create_app)
    security       token, CSRF, upload limits and names, security headers
    storage        SQLite in the data folder; uploaded files named by their hash
    jobs           the worker process that reads, repairs, extracts and compares each upload
    routes_plans   the plan list, uploads, progress, a plan's text with its items, JSON
    routes_review  the Directive 20 page and its reviews, two plans side by side, exports
    textview       the plan's text cut into highlighted segments
    exports        Excel and JSON of a reviewed comparison

The web layer only parses requests and calls the library (`pipeline.compare`, `pipeline.runner`);
templates/ and static/ are package data, so an installed wheel serves them.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATA = Path("chithi-data")


def serve(host: str = "127.0.0.1", port: int = 8000, data_dir: Path = DEFAULT_DATA, token: str | None = None,
          max_upload_mb: float = 25.0, log_level: str = "info") -> None:
    """Run the workbench with uvicorn until interrupted."""
    import uvicorn

    from .app import create_app
    from .security import Limits

    app = create_app(data_dir, token=token, limits=Limits(max_file_bytes=int(max_upload_mb * 1024 * 1024)))
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
