#!/usr/bin/env bash
# Set up a virtual environment and translate every post under content/ja into content/en
# with the offline pseudo engine: no DeepL key needed. For the real run, see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/pipeline translate --engine pseudo "$@"
echo
echo "English editions (pseudo-translated) are in content/en/. For real translations:"
echo "  DEEPL_AUTH_KEY=your-key .venv/bin/pipeline translate --force"
