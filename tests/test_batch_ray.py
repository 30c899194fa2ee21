"""The Ray engine runs the same work function as the local engine and gives the same records."""

from __future__ import annotations

import io
import json
import shutil

import pytest
import ray  # required, not skipped: Ray is in the dev extra (pip install -e .[dev])

from pipeline.batch import EXIT_SOME_FAILED, run_batch

from .conftest import sample


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _records(path):
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return sorted(lines, key=lambda r: (r["source"]["sha256"], r["source"]["index"]))


def test_ray_engine_matches_local_engine(tmp_path, local_ray):
    inputs = tmp_path / "lưu trữ"
    inputs.mkdir()
    for prefix in ("001", "003", "004"):
        shutil.copy(sample(prefix), inputs / f"kế hoạch {prefix}.txt")
    (inputs / "rỗng.txt").write_bytes(b"")

    outputs = {}
    for engine in ("ray", "local"):
        stream = io.StringIO()
        code = run_batch([str(inputs)], tmp_path / engine, workers=2, engine=engine, repair=False, stream=stream)
        assert code == EXIT_SOME_FAILED, stream.getvalue()
        outputs[engine] = tmp_path / engine

    assert _records(outputs["ray"] / "documents.jsonl") == _records(outputs["local"] / "documents.jsonl")
    assert len({r["source"]["sha256"] for r in _records(outputs["ray"] / "documents.jsonl")}) == 3
    errors = (outputs["ray"] / "errors.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(e)["path"].endswith("rỗng.txt") for e in errors] == [True]
    summary = json.loads((outputs["ray"] / "summary.json").read_text("utf-8"))
    assert summary["engine"] == "ray" and summary["ok"] == 3 and summary["failed"] == 1
