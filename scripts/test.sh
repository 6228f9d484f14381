#!/usr/bin/env bash
# Set up everything the tests need and run them. CI runs exactly this (.ci/run).
# As root on Debian it also installs Jekyll (site build tests) and Chromium (report
# browser tests); elsewhere those tests are skipped with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    command -v jekyll >/dev/null || missing+=(jekyll ruby-jekyll-polyglot)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v git >/dev/null || missing+=(git)
    dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
