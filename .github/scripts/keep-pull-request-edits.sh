#!/usr/bin/env bash
# Bring the editions of the open English-editions pull request into this checkout of main,
# so a translator's commits on that branch are the "previous editions" the next run keeps
# (as human edits) instead of being overwritten when the branch is force-updated.
#
# Only files the branch itself changed since it left main are taken: an edition changed on
# main in the meantime (another merged pull request) is never reverted.
# Usage: keep-pull-request-edits.sh [BRANCH [FOLDER...]] (default english-editions, and the
# folders content/en translations; the workflow passes the project's own, from
# `pipeline paths`); needs full history.
set -euo pipefail
branch="${1:-english-editions}"
folders=("${@:2}")
if [ ${#folders[@]} -eq 0 ]; then
    folders=(content/en translations)
fi
if ! git fetch --quiet origin "$branch" 2>/dev/null; then
    echo "no open $branch branch: nothing to keep"
    exit 0
fi
base="$(git merge-base HEAD FETCH_HEAD)"
mapfile -t changed < <(git diff --name-only --no-renames --diff-filter=AM "$base" FETCH_HEAD -- "${folders[@]}")
if [ ${#changed[@]} -eq 0 ]; then
    echo "the $branch branch changes no edition"
    exit 0
fi
git checkout FETCH_HEAD -- "${changed[@]}"
echo "kept ${#changed[@]} file(s) from the $branch branch:"
printf '  %s\n' "${changed[@]}"
