"""Pages of the plans: the list (with search and filters) and the upload form, the upload
itself, the progress of a job, a plan's text with its extracted items, and its JSON."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from ..compare import load_reference
from ..compare.notices import quality_notice, relevance_notice
from .jobs import REFERENCE
from .security import ALLOWED, check_csrf, content_matches, display_name, suffix_of
from .storage import Store, loads_comparison, loads_record
from .textview import figure_rows, items_of, segments_of, ui

router = APIRouter()


def store_of(request: Request) -> Store:
    return request.app.state.store


def document_or_404(request: Request, document_id: int) -> Any:
    row = store_of(request).document(document_id)
    if row is None:
        raise HTTPException(404)
    return row


def review_state(row: Any, counts: dict[int, tuple[int, int]], total: int) -> str:
    if not row["scored"]:
        return "not_scored"
    done = counts.get(row["id"], (0, 0))[0]
    return "none" if done == 0 else "done" if done >= total else "partial"


@router.get("/")
def index(request: Request, q: str = "", province: str = "", doc_type: str = "", level: str = "", review: str = "") -> Response:
    store = store_of(request)
    counts = store.review_counts()
    total = len(load_reference(REFERENCE).provisions)
    rows = []
    for row in store.documents():
        state = review_state(row, counts, total)
        haystack = " ".join(str(row[k] or "") for k in ("title", "number", "province", "name")).casefold()
        if (q and q.casefold() not in haystack) or (province and row["province"] != province) \
                or (doc_type and row["doc_type"] != doc_type) or (level and row["level"] != level) \
                or (review and state != review):
            continue
        reviewed, agreed = counts.get(row["id"], (0, 0))
        rows.append({"row": row, "state": state, "reviewed": reviewed, "agreed": agreed, "total": total})
    all_rows = store.documents()
    choices = {key: sorted({r[key] for r in all_rows if r[key]}) for key in ("province", "doc_type", "level")}
    filters = {"q": q, "province": province, "doc_type": doc_type, "level": level, "review": review}
    return request.app.state.render(request, "index.html", {
        "rows": rows, "choices": choices, "filters": filters, "jobs": store.recent_jobs(),
        "limits": request.app.state.limits, "allowed": ", ".join(ALLOWED), "overall": _overall(counts),
    })


def _overall(counts: dict[int, tuple[int, int]]) -> tuple[float | None, int]:
    reviewed = sum(n for n, _ in counts.values())
    agreed = sum(a for _, a in counts.values())
    return (agreed / reviewed if reviewed else None), reviewed


@router.post("/upload")
async def upload(request: Request, files: list[UploadFile] = File(default=[]), csrf: str = Form("")) -> Response:
    app = request.app.state
    if not check_csrf(request, csrf):
        return app.message(request, "csrf", 403)
    files = [f for f in files if f.filename]
    if not files:
        return app.message(request, "upload_empty", 400)
    if len(files) > app.limits.max_files:
        return app.message(request, "upload_too_many", 400, limit=app.limits.max_files)
    store, job_ids = store_of(request), []
    for upload_file in files:
        saved = await _save(upload_file, store, app.limits.max_file_bytes)
        if isinstance(saved, tuple) and saved[0] == "error":
            return app.message(request, saved[1], 413 if saved[1] == "upload_too_large" else 400, **saved[2])
        sha256, name, suffix = saved
        active = store.active_job(sha256)
        if active is not None:
            job_ids.append(active["id"])
        elif store.documents_of(sha256):
            job_ids.append(_latest_job(store, sha256))
        else:
            job_id = store.add_job(sha256)
            app.worker.submit(job_id, sha256, suffix, name)
            job_ids.append(job_id)
    target = f"/jobs/{job_ids[0]}" if len(job_ids) == 1 else "/"
    return RedirectResponse(target, status_code=303)


def _latest_job(store: Store, sha256: str) -> int:
    with store.connect() as db:
        row = db.execute("SELECT id FROM jobs WHERE sha256 = ? ORDER BY id DESC", (sha256,)).fetchone()
    return row["id"] if row else store.add_job(sha256)


async def _save(upload_file: UploadFile, store: Store, limit: int) -> tuple:
    """Write the upload under the hash of its bytes; ("error", message key, values) when refused."""
    name = display_name(upload_file.filename)
    suffix = suffix_of(name)
    if suffix not in ALLOWED:
        return "error", "upload_type", {"name": name}
    temporary = store.files_dir / f".upload-{secrets.token_hex(8)}"
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open(temporary, "wb") as out:
            while chunk := await upload_file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    return "error", "upload_too_large", {"limit": limit // (1024 * 1024)}
                head += chunk[:max(0, 8192 - len(head))]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            return "error", "upload_empty", {}
        if not content_matches(suffix, head):
            return "error", "upload_content", {"name": name, "suffix": suffix}
        sha256 = digest.hexdigest()
        final = store.file_path(sha256, suffix)
        if not final.exists():
            os.replace(temporary, final)
        store.add_file(sha256, name, suffix, size)
        return sha256, name, suffix
    finally:
        temporary.unlink(missing_ok=True)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int) -> Response:
    job = store_of(request).job(job_id)
    if job is None:
        raise HTTPException(404)
    return request.app.state.render(request, "job.html", {"job": job, "status": _job_status(request, job)})


@router.get("/api/jobs/{job_id}")
def job_api(request: Request, job_id: int) -> Response:
    job = store_of(request).job(job_id)
    if job is None:
        raise HTTPException(404)
    return JSONResponse(_job_status(request, job))


def _job_status(request: Request, job: Any) -> dict:
    store = store_of(request)
    documents = store.documents_of(job["sha256"]) if job["state"] == "done" else []
    main = next((d for d in documents if d["main"]), None)
    started = job["started_at"] or job["created_at"]
    end = job["finished_at"] or datetime.now(timezone.utc).isoformat(timespec="seconds")
    elapsed = (datetime.fromisoformat(end) - datetime.fromisoformat(started)).total_seconds()
    return {
        "id": job["id"], "state": job["state"], "step": job["step"], "label": ui()["steps"].get(job["step"], job["step"]),
        "progress": job["progress"], "message": job["message"], "elapsed": max(0, round(elapsed)),
        "url": f"/plans/{main['id']}/d20" if main else None,
    }


@router.get("/plans/{document_id}")
def plan_page(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    record, comparison = loads_record(row), loads_comparison(row)
    items, spans = items_of(record)
    siblings = [d for d in store_of(request).documents_of(row["sha256"]) if d["id"] != document_id]
    return request.app.state.render(request, "plan.html", {
        "row": row, "record": record, "comparison": comparison, "items": items,
        "segments": segments_of(record, spans), "siblings": siblings, "figures": figure_rows(record, spans),
        "relevance": relevance_notice(comparison), "quality": quality_notice(comparison),
    })


@router.get("/plans/{document_id}/record.json")
def record_json(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    return Response(loads_record(row).model_dump_json(indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'inline; filename="chithi-{document_id}-record.json"'})


@router.get("/plans/{document_id}/comparison.json")
def comparison_json(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    return Response(loads_comparison(row).model_dump_json(indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'inline; filename="chithi-{document_id}-comparison.json"'})
