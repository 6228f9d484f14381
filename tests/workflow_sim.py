"""Run the jobs of .github/workflows/english-editions.yml on this machine, as GitHub would.

The commands come from the workflow file itself, so a test built on this breaks when the
workflow and the test drift apart. Each job runs in its own clone of a local `origin`
repository. `run:` steps are executed by bash exactly as written (GitHub's default shell
for them: `bash --noprofile --norc -eo pipefail`), after `${{ ... }}` expressions are
substituted. Steps that only exist on GitHub (`uses:`) are simulated with their documented
semantics:

* actions/checkout: `git clone` of the pushed commit; `fetch-depth: 0` is the full
  history, anything else a shallow clone of that depth (default 1).
* actions/setup-python: nothing (this interpreter's environment is on PATH); the step
  `python -m pip install .` likewise, since the package under test is installed already.
* actions/cache: always a miss, so every runner starts with an empty translation cache
  (the harder case for "nothing is billed twice").
* actions/upload-artifact: the files under `path`, stored relative to the least common
  ancestor of the paths (a single path is its own root), hidden files left out
  (`include-hidden-files` defaults to false), under the artifact's `name`.
* actions/download-artifact: with `pattern`, each matching artifact (in upload order) into
  `path/<name>/`; with `merge-multiple: true` all into `path`, a later artifact overwriting
  the same path from an earlier one.
* peter-evans/create-pull-request: the `add-paths` changes committed on `branch` on top of
  the checkout and force-pushed; with no change, the branch is deleted (`delete-branch`).

Jobs run in the order their `needs` allow. `if:` on a job or a step follows GitHub's
documented rules (docs: "Workflow syntax", jobs.<job_id>.needs and jobs.<job_id>.if;
"Expressions", status check functions): an expression with no status function is
`success() && (expr)`; for a step, success() means no earlier step of its job failed; for a
job, that every job it needs succeeded (a failed or skipped needed job skips it); a matrix
job failed when any of its legs did. The simulation never cancels, so cancelled() is false
and always() is true. Understood in expressions: the status functions, `!`, `&&`, `||`,
parentheses, `==`/`!=` with '...' strings, `steps.<id>.outcome`, `steps.<id>.outputs.<name>`
(empty when the step set none, as on GitHub). Anything else (another action, expression or
`if:`) raises `Unsupported`: the simulation has to learn it before the test can pass again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "english-editions.yml"
GIT = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
INSTALL = "python -m pip install ."


class Unsupported(AssertionError):
    """The workflow uses something this simulation does not know: teach it, do not skip it."""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class StepLog:
    job: str
    name: str
    returncode: int
    output: str


@dataclass
class PullRequest:
    branch: str
    title: str
    body: str
    commit: str | None  # None: nothing changed, the branch was deleted


@dataclass
class Run:
    """What one run of the workflow did."""

    logs: list[StepLog] = field(default_factory=list)
    artifacts: dict[str, dict[str, bytes]] = field(default_factory=dict)  # name → relative path → bytes
    pull_request: PullRequest | None = None
    failed_jobs: list[str] = field(default_factory=list)
    skipped_jobs: list[str] = field(default_factory=list)

    def output(self, job: str) -> str:
        return "\n".join(f"--- {log.name} (exit {log.returncode})\n{log.output}" for log in self.logs if log.job == job)


class Workflow:
    """The workflow file, run against the `origin` repository with `shards` translate jobs."""

    def __init__(self, origin: Path, workdir: Path, secrets: dict[str, str], shards: int, path: Path = WORKFLOW) -> None:
        self.origin = origin
        self.workdir = workdir
        self.secrets = secrets
        self.doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.shards = shards
        self.runs = 0

    def run(self) -> Run:
        """One run on the head of `main`: the translate matrix, then the pull-request job."""
        self.runs += 1
        sha = git(self.origin, "rev-parse", "main").strip()
        result = Run()
        results: dict[str, str] = {}  # job → success, failure or skipped
        for job_id in _job_order(self.doc["jobs"]):
            job = self.doc["jobs"][job_id]
            needs = _needs(job)
            statuses = [results[n] for n in needs]
            status = {"success": all(s == "success" for s in statuses), "failure": "failure" in statuses}
            if not _condition(job.get("if"), status, {}):
                results[job_id] = "skipped"
                result.skipped_jobs.append(job_id)
                continue
            failed_before = len(result.failed_jobs)
            for name, context, env in self._legs(job_id, job):
                self._job(name, job, result, sha, context, env)
            results[job_id] = "failure" if len(result.failed_jobs) > failed_before else "success"
        return result

    def _legs(self, job_id: str, job: dict[str, Any]) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        """The job's runs: one per shard of the translate matrix (raised to `self.shards`), else one."""
        matrix = job.get("strategy", {}).get("matrix")
        if matrix is None:
            return [(job_id, {}, job.get("env", {}))]
        if set(matrix) != {"shard"}:
            raise Unsupported(f"{job_id}: matrix {sorted(matrix)}")
        declared = job.get("env", {}).get("SHARDS")
        if declared is not None and int(declared) != len(matrix["shard"]):
            raise AssertionError(f"the workflow's SHARDS ({declared}) differs from its matrix {matrix['shard']}")
        env = {**job.get("env", {}), **({"SHARDS": str(self.shards)} if declared is not None else {})}
        return [(f"{job_id}-{shard}", {"matrix.shard": str(shard)}, env) for shard in range(1, self.shards + 1)]

    # --- one job ------------------------------------------------------------------------

    def _job(self, name: str, job: dict[str, Any], result: Run, sha: str, context: dict[str, str], job_env: dict[str, Any]) -> None:
        workspace = self.workdir / f"run{self.runs}" / name
        output_file = workspace.parent / f"{name}.github_output"
        context = {**context, "github.sha": sha, "github.run_id": str(self.runs)}
        for key, value in self.secrets.items():
            context[f"secrets.{key}"] = value
        failed = False
        outcomes: dict[str, str] = {}
        declared = {step["id"] for step in job["steps"] if "id" in step}
        for step in job["steps"]:
            status = {"success": not failed, "failure": failed}
            if not _condition(step.get("if"), status, {**context, **{f"steps.{i}.outcome": o for i, o in outcomes.items()}}):
                if "id" in step:
                    outcomes[step["id"]] = "skipped"
                continue
            label = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            known = {**context, **{f"steps.{i}.outputs.": "" for i in declared}}  # unset outputs read as ''
            if "uses" in step:
                code, output = self._uses(step, workspace, result, known, sha)
            else:
                code, output = self._shell(step, workspace, output_file, known, job_env)
                if "id" in step:
                    for key, value in _read_outputs(output_file).items():
                        context[f"steps.{step['id']}.outputs.{key}"] = value
            if "id" in step:
                outcomes[step["id"]] = "success" if code == 0 else "failure"
            result.logs.append(StepLog(name, label, code, output))
            failed = failed or code != 0
        if failed:
            result.failed_jobs.append(name)

    def _shell(self, step: dict[str, Any], workspace: Path, output_file: Path, context: dict[str, str], job_env: dict[str, Any]) -> tuple[int, str]:
        script = _substitute(step["run"], context)
        if script.strip() == INSTALL:
            return 0, "(simulated: the package under test is installed in this environment)"
        if step.get("shell") or step.get("working-directory"):
            raise Unsupported(f"step {step.get('name')!r}: shell/working-directory")
        output_file.write_text("", encoding="utf-8")  # each step has its own $GITHUB_OUTPUT on GitHub
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_SHA": context["github.sha"],
        }
        for key, value in {**job_env, **step.get("env", {})}.items():
            env[key] = _substitute(_as_input(value), context)
        done = subprocess.run([*SHELL, "-c", script], cwd=workspace, env=env, capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr

    def _uses(self, step: dict[str, Any], workspace: Path, result: Run, context: dict[str, str], sha: str) -> tuple[int, str]:
        action, _, ref = step["uses"].partition("@")
        if not re.fullmatch(r"[0-9a-f]{40}", ref):
            raise Unsupported(f"{action} is not pinned to a commit")
        inputs = {key: _substitute(_as_input(value), context) for key, value in step.get("with", {}).items()}
        if action == "actions/checkout":
            return self._checkout(inputs, workspace, sha)
        if action in ("actions/setup-python", "actions/cache"):
            return 0, f"(simulated {action}: nothing to do)"
        if action == "actions/upload-artifact":
            return _upload(inputs, workspace, result)
        if action == "actions/download-artifact":
            return _download(inputs, workspace, result)
        if action == "peter-evans/create-pull-request":
            return self._create_pull_request(inputs, workspace, result)
        raise Unsupported(f"action {action}")

    def _checkout(self, inputs: dict[str, str], workspace: Path, sha: str) -> tuple[int, str]:
        unknown = set(inputs) - {"fetch-depth", "persist-credentials"}
        if unknown:
            raise Unsupported(f"actions/checkout inputs {sorted(unknown)}")
        depth = int(inputs.get("fetch-depth", "1"))
        workspace.parent.mkdir(parents=True, exist_ok=True)
        shallow = ["--depth", str(depth)] if depth else []
        git(workspace.parent, "clone", "-q", *shallow, "--branch", "main", self.origin.as_uri(), str(workspace))
        if git(workspace, "rev-parse", "HEAD").strip() != sha:
            raise AssertionError("main moved during the run")
        return 0, f"cloned {sha[:8]} (depth {depth or 'full'})"

    def _create_pull_request(self, inputs: dict[str, str], workspace: Path, result: Run) -> tuple[int, str]:
        unknown = set(inputs) - {"branch", "commit-message", "title", "body", "add-paths", "delete-branch"}
        if unknown:
            raise Unsupported(f"create-pull-request inputs {sorted(unknown)}")
        branch = inputs["branch"]
        specs = [f":(glob){line.strip()}" for line in inputs["add-paths"].splitlines() if line.strip()]
        git(workspace, "checkout", "-q", "-B", branch)
        git(workspace, "add", "-A", "--", *specs)
        staged = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=workspace).returncode != 0
        commit = None
        if staged:
            git(workspace, "commit", "-q", "-m", inputs["commit-message"])
            git(workspace, "push", "-q", "--force", "origin", f"{branch}:{branch}")
            commit = git(workspace, "rev-parse", "HEAD").strip()
        elif inputs.get("delete-branch") == "true" and git(self.origin, "branch", "--list", branch).strip():
            git(self.origin, "branch", "-D", branch)
        result.pull_request = PullRequest(branch, inputs["title"], inputs["body"], commit)
        return 0, f"pull request branch {branch}: " + (f"commit {commit[:8]}" if commit else "no change")


# --- artifacts ----------------------------------------------------------------------------


def _upload(inputs: dict[str, str], workspace: Path, result: Run) -> tuple[int, str]:
    unknown = set(inputs) - {"name", "path", "if-no-files-found"}
    if unknown:
        raise Unsupported(f"upload-artifact inputs {sorted(unknown)}")
    patterns = [line.strip() for line in inputs["path"].splitlines() if line.strip()]
    if any(c in p for p in patterns for c in "*?[!"):
        raise Unsupported("upload-artifact glob patterns")
    searched = [os.path.normpath(workspace / p) for p in patterns]
    files: list[Path] = []
    for path in map(Path, searched):
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        files += [f for f in candidates if not any(part.startswith(".") for part in f.relative_to(workspace).parts)]
    if len(searched) > 1:
        root = Path(os.path.commonpath(searched))
    elif len(files) == 1 and str(files[0]) == searched[0]:
        root = files[0].parent
    else:
        root = Path(searched[0])
    if not files and inputs.get("if-no-files-found", "warn") == "error":
        return 1, "no files found"
    name = inputs["name"]
    if name in result.artifacts:
        return 1, f"an artifact named {name} exists already (v4 artifacts are immutable)"
    result.artifacts[name] = {f.relative_to(root).as_posix(): f.read_bytes() for f in files}
    return 0, f"uploaded {len(files)} file(s) as {name}"


def _download(inputs: dict[str, str], workspace: Path, result: Run) -> tuple[int, str]:
    unknown = set(inputs) - {"name", "pattern", "path", "merge-multiple"}
    if unknown:
        raise Unsupported(f"download-artifact inputs {sorted(unknown)}")
    target = workspace / inputs.get("path", ".")
    if "name" in inputs:
        chosen, single = [inputs["name"]], True
    else:
        pattern = re.compile(re.escape(inputs.get("pattern", "*")).replace(r"\*", ".*"))
        chosen, single = [n for n in result.artifacts if pattern.fullmatch(n)], False
    merge = inputs.get("merge-multiple", "false") == "true"
    for name in chosen:  # in upload order: with merge-multiple, the last one wins
        folder = target if single or merge else target / name
        for relative, data in result.artifacts[name].items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)
    return 0, f"downloaded {', '.join(chosen)}" + (" merged" if merge else "")


# --- expressions and outputs --------------------------------------------------------------


def _as_input(value: object) -> str:
    """Inputs and env values reach an action or a shell as strings; YAML booleans as GitHub spells them."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _substitute(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in context:
            return context[key]
        step_outputs = re.fullmatch(r"(steps\.[\w-]+\.outputs\.)[\w-]+", key)
        if step_outputs and step_outputs.group(1) in context:  # a declared step that set no such output
            return ""
        raise Unsupported(f"expression ${{{{ {key} }}}}")

    return EXPRESSION.sub(value, text)


def _job_order(jobs: dict[str, Any]) -> list[str]:
    """The jobs in file order, each after the jobs it needs."""
    order: list[str] = []
    while len(order) < len(jobs):
        ready = [j for j in jobs if j not in order and all(n in order for n in _needs(jobs[j]))]
        if not ready:
            raise AssertionError(f"the jobs' needs form a cycle or name a missing job: {sorted(set(jobs) - set(order))}")
        order.append(ready[0])
    return order


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


STATUS_FUNCTIONS = re.compile(r"\b(success|failure|always|cancelled)\(\)")
TOKEN = re.compile(r"\s*(?:(success|failure|always|cancelled)\(\)|(steps\.[\w-]+\.(?:outcome|conclusion|outputs\.[\w-]+))|'([^']*)'|(==|!=|&&|\|\||!|\(|\)))")


def _condition(text: object, status: dict[str, bool], context: dict[str, str]) -> bool:
    """An `if:` as GitHub evaluates it: no status function means `success() && (...)`."""
    if text is None:
        return status["success"]
    if isinstance(text, bool):
        return text and status["success"]
    expression = str(text).strip()
    wrapped = re.fullmatch(r"\$\{\{(.*)\}\}", expression, re.DOTALL)
    expression = wrapped.group(1).strip() if wrapped else expression
    if not STATUS_FUNCTIONS.search(expression):
        expression = f"success() && ({expression})"
    values = {"success": status["success"], "failure": status["failure"], "always": True, "cancelled": False}
    python, position = [], 0
    while position < len(expression):
        match = TOKEN.match(expression, position)
        if match is None or match.end() == position:
            raise Unsupported(f"`if: {text}` (at {expression[position:]!r})")
        function, reference, string, operator = match.groups()
        if function:
            python.append(repr(values[function]))
        elif reference:
            python.append(repr(context.get(reference, "")))
        elif string is not None:
            python.append(repr(string))
        else:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(operator, f" {operator} "))
        position = match.end()
    return bool(eval("".join(python), {"__builtins__": {}}))  # noqa: S307 - built from the tokens above only


def _read_outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for body in lines:
                if body == delimiter:
                    break
                block.append(body)
            outputs[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


def copy_project(destination: Path, posts: dict[str, str], config: str | None = None) -> None:
    """A site repository like a user's: Japanese posts, the glossary and this workflow (and
    its own `pipeline.toml`, when given)."""
    if config is not None:
        destination.mkdir(parents=True, exist_ok=True)
        (destination / "pipeline.toml").write_text(config, encoding="utf-8")
    (destination / "content" / "ja").mkdir(parents=True)
    for name, text in posts.items():
        (destination / "content" / "ja" / name).write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "glossary", destination / "glossary")
    shutil.copytree(REPO / ".github", destination / ".github")
    (destination / ".gitignore").write_text(".cache/\n", encoding="utf-8")
