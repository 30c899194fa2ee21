"""A wheel built from the repository works outside the checkout: models and data inside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, sample


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed into a fresh target folder."""
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(work / "dist"), str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (work / "dist").glob("chithi-*.whl")
    target = work / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    outside = work / "elsewhere"  # a folder with nothing of the checkout in it
    outside.mkdir()
    for prefix in ("002", "003"):
        shutil.copy(sample(prefix), outside)
    environment = {**os.environ, "PYTHONPATH": str(target)}
    environment.pop("CHITHI_MODELS", None)
    return target, outside, environment


def _chithi(installed, *arguments: str) -> subprocess.CompletedProcess:
    target, outside, environment = installed
    return subprocess.run([str(target / "bin" / "chithi"), *arguments], cwd=outside, env=environment,
                          capture_output=True, text=True, timeout=600)


def test_the_installed_package_is_the_wheels_with_its_models(installed):
    target, outside, environment = installed
    probe = "import pipeline, pipeline.resources as r; print(pipeline.__file__); print(r.models_dir())"
    run = subprocess.run([sys.executable, "-c", probe], cwd=outside, env=environment, capture_output=True, text=True)
    module, models = run.stdout.split()
    assert module.startswith(str(target)) and models.startswith(str(target)), run.stdout + run.stderr


def test_extract_repairs_the_english_ocr_sample_from_the_wheel(installed):
    run = _chithi(installed, "extract", sample("002").name)
    assert run.returncode == 0, run.stderr[-2000:]
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == 2  # the cover letter and the plan it forwards
    plan = records[1]
    assert sum(r["kind"] == "ocr_garble" for r in plan["repairs"]) > 100
    assert "Kế hoạch" in plan["text"] or "KẾ HOẠCH" in plan["text"]


def test_compare_knows_directive_20_from_the_wheel(installed):
    run = _chithi(installed, "compare", sample("003").name)
    assert run.returncode == 0, run.stderr[-2000:]
    comparison = json.loads(run.stdout)
    assert comparison["against"] == "directive-20" and comparison["reference_title"].startswith("20-CT/TW")
    assert comparison["summary"]["overall"] > 0.5
