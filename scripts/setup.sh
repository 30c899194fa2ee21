#!/usr/bin/env bash
# Set up chithi on a fresh Debian/Ubuntu machine: system packages (Tesseract with the
# Vietnamese and English models, poppler, fonts, chromium) when missing, then .venv with the package and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr)
[ -e /usr/share/tesseract-ocr/5/tessdata/vie.traineddata ] || ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-vie)
ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-eng)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
# Headers of the system's Tesseract and Leptonica: tesserocr is built against them, so that
# chithi runs the very Tesseract that `tesseract -l vie` is (its wheels bundle another version).
pkg-config --exists tesseract lept 2>/dev/null || need+=(libtesseract-dev libleptonica-dev pkg-config g++)
# Fonts that the scan-rendering tests and scripts typeset Vietnamese with.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf ] || need+=(fonts-liberation)
# The wider OCR render set of scripts/render_ocr_pairs.py (families that draw every Vietnamese
# letter; the DOCX path of that script also wants LibreOffice, which it does not install).
[ -e /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || need+=(fonts-liberation2)
[ -e /usr/share/fonts/truetype/freefont/FreeSerif.ttf ] || need+=(fonts-freefont-ttf)
[ -e /usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf ] || need+=(fonts-noto-core)
[ -e /usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Regular.ttf ] || need+=(fonts-roboto-unhinted)
[ -e /usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf ] || need+=(fonts-open-sans)
# Headless browser for the HTML report's screenshot test and the workbench's browser tests (Playwright drives
# this system chromium; `playwright install`, which downloads browsers, is never needed).
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "chithi setup: installing system packages: ${need[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${need[@]}"
fi


PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
PIP_NO_BINARY=tesserocr .venv/bin/python -m pip install -q -e ".[dev]"
# The repair stage's inner loops are compiled by numba on first use and cached on disk
# (pipeline/repair/__pycache__); doing it here spares the first garbled document about 20 s.
echo "chithi setup: compiling the repair kernels (once, about 20 s)"
.venv/bin/python -c 'from pipeline.repair import repair; repair("K6 ho4ch trien khai Chi thi so 20 cua Ban Bi thu")'
echo "chithi setup: done. Try: .venv/bin/chithi --help"
