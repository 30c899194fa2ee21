from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpus" / "samples"
PDFS = ROOT / "corpus" / "pdf"


def sample(prefix: str) -> Path:
    """The sample plan whose file name starts with `prefix` ('000' … '004')."""
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path


@pytest.fixture(scope="session")
def samples() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))


@pytest.fixture(scope="session")
def pdfs() -> list[Path]:
    return sorted(PDFS.glob("*.pdf"))
