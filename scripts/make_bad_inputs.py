"""Write a folder of awkward inputs for `chithi batch`, next to good ones.

    .venv/bin/python scripts/make_bad_inputs.py /tmp/bad && .venv/bin/chithi batch /tmp/bad -o /tmp/bad-out

Every file is made here from the repository's own samples and PDFs (nothing is downloaded).
`make_bad_inputs` returns file name → what a correct batch must produce for it:
"document" (at least one record), "error" (exactly one errors.jsonl line) or "either"
(the ingestion stage may recover text or give a clear error — both are correct).
"""

from __future__ import annotations

import argparse
import io
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpus" / "samples"
PDFS = ROOT / "corpus" / "pdf"


def _encrypted_pdf(source: Path) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(source).pages[0])
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _blank_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (800, 600), color=255).save(buffer, format="PNG")
    return buffer.getvalue()


def _big_text(sample: Path, megabytes: float) -> bytes:
    block = sample.read_bytes()
    return (block * (int(megabytes * 1e6) // len(block) + 1))[: int(megabytes * 1e6)]


def make_bad_inputs(folder: Path, *, big_mb: float = 50.0, seed: int = 0) -> dict[str, str]:
    """Fill `folder` with the awkward inputs; returns file name → expected outcome."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    sample = sorted(SAMPLES.glob("001_*.txt"))[0]
    pdf = sorted(PDFS.glob("*.pdf"))[0]
    pdf_bytes = pdf.read_bytes()
    files = {
        "rỗng.txt": (b"", "error"),
        "chỉ khoảng trắng.md": (b" \n\t\n  \n", "error"),
        "ngẫu nhiên.pdf": (rng.randbytes(20_000), "error"),
        "bị cắt cụt.pdf": (pdf_bytes[: len(pdf_bytes) // 3], "either"),
        "có mật khẩu.pdf": (_encrypted_pdf(pdf), "error"),
        "ảnh trắng.png": (_blank_png(), "error"),
        "không giải mã được.txt": (bytes(rng.randrange(128, 256) for _ in range(5000)), "either"),
        f"rất lớn {big_mb:g}MB.txt": (_big_text(sample, big_mb), "error"),
        "ghi chú.xyz": (b"not a document", "error"),
        "Kế hoạch số 1 (bản sao).txt": (sample.read_bytes(), "document"),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: expected for name, (_, expected) in files.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--big-mb", type=float, default=50.0, help="Size of the oversized text file.")
    args = parser.parse_args()
    for name, expected in make_bad_inputs(args.folder, big_mb=args.big_mb).items():
        print(f"{expected:9s} {args.folder / name}")


if __name__ == "__main__":
    main()
