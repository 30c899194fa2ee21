"""The workbench over HTTP (FastAPI's TestClient): uploads and their limits, names that try to
leave the data folder, CSRF, the access token, escaping, reviews, exports. The browser tests
(test_workbench_browser.py) drive the same pages in Chromium."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pipeline.workbench.app import create_app
from pipeline.workbench.jobs import process_file
from pipeline.workbench.security import Limits

from .conftest import PDFS, sample

HOSTILE = ("KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư\n\nI. NHIỆM VỤ\n\n"
           "1. Đẩy mạnh công tác tuyên truyền, giáo dục nhằm nâng cao nhận thức <script>alert('x')</script> "
           "về vai trò, tầm quan trọng của công tác đưa người lao động đi làm việc ở nước ngoài.\n")


class FakeWorker:
    """Records the jobs instead of starting a process; `run` processes them in this process."""

    def __init__(self, store):
        self.store, self.jobs = store, []

    def submit(self, job_id, sha256, suffix, name):
        self.jobs.append((job_id, sha256, suffix, name))

    def run(self):
        for job in self.jobs:
            process_file(str(self.store.data_dir), *job)
        self.jobs.clear()

    def start(self):
        pass

    def stop(self):
        pass


def make_client(tmp_path, **options) -> tuple[TestClient, FakeWorker]:
    app = create_app(tmp_path / "data", start_worker=False, **options)
    worker = FakeWorker(app.state.store)
    app.state.worker = worker
    return TestClient(app, base_url="http://127.0.0.1"), worker


def csrf(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").text).group(1)


def upload(client: TestClient, name: str, content: bytes, token: str | None = None):
    return client.post("/upload", data={"csrf": token if token is not None else csrf(client)},
                       files={"files": (name, io.BytesIO(content), "application/octet-stream")}, follow_redirects=False)


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path)


def processed(client, worker, name: str, content: bytes) -> int:
    """Upload, process, and return the id of the file's main document."""
    response = upload(client, name, content)
    assert response.status_code == 303, response.text
    worker.run()
    job = client.get("/api/jobs/" + response.headers["location"].rsplit("/", 1)[1]).json()
    assert job["state"] == "done", job
    return int(job["url"].split("/")[2])


def test_an_upload_named_with_dotdot_goes_nowhere(tmp_path, client):
    client, worker = client
    response = upload(client, "../../evil.txt", sample("003").read_bytes())
    assert response.status_code == 303
    data = tmp_path / "data"
    stored = sorted(p.name for p in (data / "files").iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{64}\.txt", stored[0])
    assert not list(tmp_path.rglob("evil.txt")) and not (tmp_path.parent / "evil.txt").exists()
    assert worker.jobs[0][3] == "evil.txt"  # kept only as the name to show
    backslashed = upload(client, "..\\..\\windows.md", b"# KE HOACH\nthuc hien")
    assert backslashed.status_code == 303 and worker.jobs[1][3] == "windows.md"


def test_an_oversized_upload_is_refused_with_a_message(tmp_path):
    client, worker = make_client(tmp_path, limits=Limits(max_file_bytes=1024 * 1024, max_files=1))
    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    response = upload(client, "big.pdf", big)
    assert response.status_code == 413
    assert "Tệp tải lên quá lớn" in response.text and "1 MB" in response.text
    assert not worker.jobs and not list((tmp_path / "data" / "files").iterdir())
    # Under the request limit but over the file limit (two files allowed, one too big).
    client, worker = make_client(tmp_path / "b", limits=Limits(max_file_bytes=1024 * 1024, max_files=3))
    response = upload(client, "big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413 and "Tệp tải lên quá lớn" in response.text
    assert not list((tmp_path / "b" / "data" / "files").iterdir())


def test_uploads_of_the_wrong_type_are_refused(client):
    client, worker = client
    assert "không được nhận" in upload(client, "run.exe", b"MZ\x90\x00").text
    wrong = upload(client, "plan.pdf", b"KE HOACH thuc hien chi thi")
    assert wrong.status_code == 400 and "không đúng định dạng" in wrong.text
    assert not worker.jobs


def test_forms_need_the_csrf_token(client):
    client, worker = client
    response = upload(client, "plan.txt", b"KE HOACH", token="0" * 64)
    assert response.status_code == 403 and "Biểu mẫu đã hết hạn" in response.text
    assert not worker.jobs


def test_the_access_token_guards_every_page(tmp_path):
    client, _ = make_client(tmp_path, token="bí-mật-42")
    assert client.get("/").status_code == 401
    assert client.get("/?token=sai").status_code == 401
    entered = client.get("/?token=bí-mật-42", follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/"
    assert client.get("/").status_code == 200  # the cookie now carries it
    other, _ = make_client(tmp_path / "other", token="bí-mật-42")
    assert other.get("/", headers={"Authorization": "Bearer bí-mật-42".encode()}).status_code == 200


def test_pages_forbid_inline_scripts_and_framing(client):
    client, _ = client
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_document_text_is_escaped(client):
    client, worker = client
    document = processed(client, worker, "hostile.txt", HOSTILE.encode("utf-8"))
    for page in (f"/plans/{document}", f"/plans/{document}/d20", f"/plans/{document}/print"):
        body = client.get(page).text
        assert "<script>alert" not in body, page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in client.get(f"/plans/{document}").text


def test_review_is_stored_with_reviewer_and_exported(client):
    client, worker = client
    document = processed(client, worker, "003.txt", sample("003").read_bytes())
    token = csrf(client)
    form = {"csrf": token, "provision_id": "D20-2.3", "status": "partial", "comment": "Có hỗ trợ vay vốn đào tạo nghề.",
            "reviewer": "Nguyễn Thị Lan", "action": "change"}
    assert client.post(f"/plans/{document}/reviews", data=form, follow_redirects=False).status_code == 303
    accept = dict(form, provision_id="D20-3.4", action="accept", comment="")
    assert client.post(f"/plans/{document}/reviews", data=accept, follow_redirects=False).status_code == 303
    assert client.post(f"/plans/{document}/reviews", data=dict(form, status="xyz")).status_code == 400
    assert client.post(f"/plans/{document}/reviews", data=dict(form, csrf="0" * 64)).status_code == 403
    page = client.get(f"/plans/{document}/d20").text
    assert "Có hỗ trợ vay vốn đào tạo nghề." in page and "Nguyễn Thị Lan" in page

    book = load_workbook(io.BytesIO(client.get(f"/plans/{document}/export.xlsx").content))
    rows = {row[0]: row for row in book["Chỉ thị 20"].iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 25
    assert rows["D20-2.3"][5] == "Đề cập một phần" and rows["D20-2.3"][8] == "Có hỗ trợ vay vốn đào tạo nghề."
    assert rows["D20-2.3"][9] == "Nguyễn Thị Lan"
    assert rows["D20-3.4"][3] == rows["D20-3.4"][5] == "Đã đề cập"  # accepted: reviewed as computed
    assert "cơ sở dữ liệu" in rows["D20-3.4"][6]
    exported = client.get(f"/plans/{document}/export.json").json()
    assert exported["agreement"]["reviewed"] == 2


def test_a_circular_is_flagged_and_can_be_scored_on_request(client):
    client, worker = client
    path = PDFS / "thong-tu-so-02-2023-tt-bldtbxh-39230.pdf"
    document = processed(client, worker, path.name, path.read_bytes())
    page = client.get(f"/plans/{document}/d20").text
    assert "Không phải kế hoạch thực hiện Chỉ thị số 20-CT/TW" in page and 'id="not-scored"' in page
    listing = client.get("/").text
    assert "Không phải kế hoạch thực hiện Chỉ thị 20" in listing
    response = client.post(f"/plans/{document}/score", data={"csrf": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert "Đã chấm điểm theo yêu cầu" in client.get(f"/plans/{document}/d20").text


def test_the_cover_letter_and_its_plan_are_two_documents(client):
    client, worker = client
    plan = processed(client, worker, "002.txt", sample("002").read_bytes())
    page = client.get(f"/plans/{plan}").text
    assert "Công văn" in page and "không phải kế hoạch thực hiện Chỉ thị 20" in page
    assert client.get(f"/plans/{plan}/record.json").json()["source"]["path"] == "002.txt"


def test_the_list_filters_and_two_plans_side_by_side(client):
    client, worker = client
    province = processed(client, worker, "003.txt", sample("003").read_bytes())
    district = processed(client, worker, "001.txt", sample("001").read_bytes())
    assert "Lai Châu" in client.get("/?province=Lai Châu").text
    assert "003.txt" not in client.get("/?province=Lai Châu").text
    assert "001.txt" not in client.get("/?q=258-KH/TU").text and "003.txt" in client.get("/?q=258-KH/TU").text
    page = client.get(f"/compare?left={district}&right={province}").text
    assert 'id="side-by-side"' in page and 'id="against"' in page


def test_unknown_pages_say_so_in_vietnamese(client):
    client, _ = client
    response = client.get("/plans/999/d20")
    assert response.status_code == 404 and "Không tìm thấy" in response.text


def test_the_worker_process_ends_with_the_server(tmp_path):
    """A stopped server stops its worker; a killed one (no chance to clean up) too."""
    import os
    import signal
    import time

    psutil = pytest.importorskip("psutil")
    from pipeline.workbench.local import LocalServer

    def worker_of(server):
        for _ in range(100):
            children = psutil.Process(server.process.pid).children()
            if children:
                return children[0]
            time.sleep(0.1)
        raise AssertionError("the server started no worker")

    with LocalServer(tmp_path / "stopped") as server:
        worker = worker_of(server)
    worker.wait(timeout=30)  # raises if it is still alive

    with LocalServer(tmp_path / "killed") as server:
        worker = worker_of(server)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        worker.wait(timeout=30)


def test_the_plan_page_marks_results_apart_from_targets_and_tables_them(client):
    client, worker = client
    report = ("BÁO CÁO\nKết quả thực hiện Kế hoạch đưa người lao động đi làm việc ở nước ngoài năm 2023\n\n"
              "Năm 2023, tỉnh phấn đấu đưa 1.500 người lao động đi làm việc ở nước ngoài theo hợp đồng. "
              "Kết quả, năm 2023 toàn tỉnh đã đưa 1.620 người lao động đi làm việc ở nước ngoài, đạt 108% kế hoạch.\n")
    page = client.get(f"/plans/{processed(client, worker, 'bao-cao.txt', report.encode())}").text
    assert re.search(r'class="hl target"[^>]*>1\.500 người', page) and re.search(r'class="hl figure"[^>]*>1\.620 người', page)
    table = page[page.index('id="figures"'):]
    row = table[table.index("Lao động đi làm việc ở nước ngoài</td>"):].split("</tr>")[0]
    planned, achieved = row.split("</td>")[3:5]
    assert "1.500 người" in planned and "1.620 người" in achieved
