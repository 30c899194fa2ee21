"""The HTML report renders in a real browser: a headless-Chromium screenshot that is not blank.

Skipped only when no Chromium is installed (scripts/setup.sh installs Debian's `chromium`).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PIL import Image

from pipeline.compare import render
from pipeline.runner import compare

from .conftest import sample

WIDTH, HEIGHT = 1280, 2000
CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup.sh installs it)")


def screenshot(html_path, png_path, profile) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--screenshot={png_path}", f"--window-size={WIDTH},{HEIGHT}",
         html_path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


def test_report_of_sample_003_renders_in_headless_chromium(tmp_path):
    html_path = tmp_path / "report.html"
    html_path.write_text(render(compare(sample("003")), "html"), "utf-8")
    png_path = tmp_path / "report.png"

    run = screenshot(html_path, png_path, tmp_path / "profile")

    assert run.returncode == 0, run.stderr[-2000:]
    with Image.open(png_path) as image:
        assert image.size == (WIDTH, HEIGHT)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the page rendered as (almost) a single colour"
