"""The CI workflow and the pre-commit hook definition are valid and wired to the pipeline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "english-editions.yml"


def test_workflow_validates_against_the_github_schema() -> None:
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_runs_the_pipeline_with_cache_secret_shards_and_a_pull_request() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert "content/ja/**" in on["push"]["paths"]
    steps = workflow["jobs"]["translate"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache@") for u in uses)
    run = next(s for s in steps if "pipeline translate" in s.get("run", ""))
    assert run["env"]["DEEPL_AUTH_KEY"] == "${{ secrets.DEEPL_AUTH_KEY }}"
    assert "--shard" in run["run"] and "--report" in run["run"]
    assert workflow["jobs"]["translate"]["strategy"]["matrix"]["shard"] == [1, 2]
    pr_uses = [s.get("uses", "") for s in workflow["jobs"]["pull-request"]["steps"]]
    assert any(u.startswith("peter-evans/create-pull-request@") for u in pr_uses)


def test_pre_commit_hook_calls_check() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks[0]["entry"] == "pipeline check" and hooks[0]["pass_filenames"] is False


def test_pull_request_job_attaches_the_review_report() -> None:
    """Translators get the side-by-side report as an artifact and its summary in the PR body."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["pull-request"]["steps"]
    runs = [s.get("run", "") for s in steps]
    review_at = next(i for i, r in enumerate(runs) if r.startswith("pipeline review --since HEAD --out review"))
    upload = next(s for s in steps[review_at:] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "review/report.html"
    assert any("cat review/summary.md" in r for r in runs[review_at:])
