"""The output contract: schema in sync, offsets grounded, errors clean."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
from pydantic import BaseModel

import pipeline
from pipeline.schema import DocumentRecord, Mention, Span, schema_files

from .conftest import ROOT, sample

CHITHI = [sys.executable, "-m", "pipeline.cli"]


def test_committed_schema_matches_models():
    for name, content in schema_files().items():
        assert (ROOT / "schemas" / name).read_text("utf-8") == content, f"run `chithi schema` ({name})"


def iter_spans(value, path="record"):
    if isinstance(value, Span):
        yield path, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from iter_spans(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from iter_spans(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_spans(item, f"{path}[{key!r}]")


@pytest.fixture(scope="module")
def sample_records(samples) -> list[DocumentRecord]:
    return [record for path in samples for record in pipeline.extract(path)]


def test_every_offset_points_at_its_mention(sample_records):
    checked = 0
    for record in sample_records:
        for where, span in iter_spans(record.model_copy(update={"source": record.source.model_copy(update={"span": None})})):
            assert 0 <= span.start <= span.end <= len(record.text), where
            if isinstance(span, Mention):
                assert record.text[span.start:span.end] == span.text, where
                checked += 1
            for attr in ("replacement",):
                if hasattr(span, attr):
                    assert record.text[span.start:span.end] == getattr(span, attr), where
    assert checked > 0


def test_output_validates_against_published_schema(sample_records):
    schema = json.loads((ROOT / "schemas" / "document.schema.json").read_text("utf-8"))
    for record in sample_records:
        jsonschema.validate(json.loads(record.model_dump_json()), schema)
        for field in ("markets", "targets", "agencies", "tasks", "deadlines", "funding", "references", "sections"):
            assert isinstance(getattr(record, field), list)


def test_cli_writes_jsonl(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(CHITHI + ["extract", str(sample("001")), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text("utf-8").splitlines()
    assert lines and all(json.loads(line)["schema_version"] for line in lines)


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("missing.txt", None, "file not found"),
        ("empty.txt", b"", "empty"),
        ("notes.xyz", b"hello", "unsupported"),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    proc = subprocess.run(CHITHI + ["extract", str(path)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and needle in lines[0].lower(), proc.stderr


def test_api_functions_stay_callable_after_their_modules_are_imported():
    import importlib

    for module in ("pipeline.runner", "pipeline.batch", "pipeline.repair", "pipeline.compare"):
        importlib.import_module(module)
    for _ in range(2):  # the first call must not turn `pipeline.repair` into the module
        assert pipeline.repair("Thuc hien Chi thi so 20").text == "Thực hiện Chỉ thị số 20"
    assert callable(pipeline.compare) and callable(pipeline.extract)
