#!/usr/bin/env bash
# The brief tests read the PDF's text with pdftotext and look at its pages with pdftoppm, both
# from Debian's poppler-utils. Install it when it is missing and we may.
set -euo pipefail
if command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  echo "installing Debian's poppler-utils (pdftotext) for the brief tests ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "installing Debian's poppler-utils (pdftotext) for the brief tests (sudo) ..."
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
else
  echo "warning: poppler-utils is not installed and cannot be installed without root;" \
       "the brief's text tests will be skipped (apt-get install poppler-utils)." >&2
fi
