"""Gather the shards of a CI run into one tree, losing nothing any shard wrote.

Each shard's artifact is a snapshot of the editions and the state folder after its run,
laid out like the project root (`content/en/`, `translations/`), with its run report
(`report.json`). All shards start from the same tree and each writes only the editions
and state files of its own posts, so per file:

* every shard holds the same bytes (or none holds it: an orphan that `--prune` removed):
  that is the result;
* they differ: the shard whose report lists the post decides, for that post's edition and
  state file;
* the translation memory, which every shard may change, is merged entry by entry
  (`memory.union`: the entries a shard approved win over the copies that only carried the
  old ones);
* anything else that differs is a conflict (the shards did not start from the same tree,
  say a push to the editions branch during the run): nothing is written, and the error
  names the files.

This holds for any number of shards and for any file a later version of `translate` may
add, where taking "the last shard's copy" silently drops the others' work.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import cast

from pipeline.config import Settings
from pipeline.errors import ConfigError, InputError, PipelineError
from pipeline.target import Target
from pipeline.memory import MEMORY_FILE, TranslationMemory, entry_from_json, union
from pipeline.post import write_atomic
from pipeline.report import PostJSON, ReportJSON, combine
from pipeline.state import state_path

REPORT_FILE = "report.json"  # a shard's run report, at the top of its artifact


class MergeConflict(PipelineError):
    """The shards disagree about a file none of them owns (or two of them do)."""


@dataclass(frozen=True)
class Shard:
    folder: Path
    report: ReportJSON
    files: dict[str, str]  # project-relative posix path → digest, under the output and state folders


@dataclass
class Merge:
    """What gathering the shards changes in the working tree; `apply` does it."""

    root: Path
    shards: int
    report: ReportJSON  # the shards' reports added up
    write: dict[str, Path | bytes] = field(default_factory=dict)  # path → the file to copy, or the bytes
    delete: list[str] = field(default_factory=list)
    memory_entries: int = 0  # in the merged translation memory
    approved: int = 0  # of which the shards approved in this run


def _folders(settings: Settings) -> list[str]:
    """The output and state folders as paths inside the project root, as an artifact holds them."""
    return [inside_root(settings, folder) for folder in (settings.output_dir, settings.state_dir)]


def inside_root(settings: Settings, folder: Path) -> str:
    """A configured folder as a posix path inside the project root: what an artifact, a CI
    step or a pull request's `add-paths` names; one outside the root cannot be carried."""
    root = settings.root.resolve()
    try:
        return settings.path(folder).resolve().relative_to(root).as_posix()
    except ValueError:
        raise ConfigError(f"{folder} is outside the project root {root}: a shard's artifact cannot hold it") from None


def ci_paths(settings: Settings) -> dict[str, str]:
    """The project's folders (its `[paths]`) as the CI workflow's steps name them, relative to
    the project root: the editions and state a shard uploads and a pull request adds, the
    cache kept between runs, and the sources and glossary a push changes."""
    paths = {
        "source": inside_root(settings, settings.source_dir),
        "output": inside_root(settings, settings.output_dir),
        "state": inside_root(settings, settings.state_dir),
        "glossary": inside_root(settings, settings.glossary_dir),
    }
    cache = settings.path(settings.cache_dir).resolve()  # actions/cache takes any folder
    paths["cache"] = (
        cache.relative_to(settings.root.resolve()).as_posix() if cache.is_relative_to(settings.root.resolve()) else cache.as_posix()
    )
    for name, value in paths.items():
        if value == "." or "\n" in value or "\r" in value:
            raise ConfigError(f"paths.{name} = {value!r} cannot be named in a CI step: give it a folder of its own")
    return paths


def ci_editions(targets: Sequence[Settings]) -> dict[str, list[str]]:
    """What every target language's shard uploads and a pull request adds, for the CI steps:
    `editions`, the output and state folders of every language (one inside another listed
    once: `translations/ko/` is in `translations/`), and `reports`, the run report of each
    (`report.json`, `report.ko.json`: `translate --report report.json` writes them)."""
    folders = list(dict.fromkeys(f for target in targets for f in _folders(target)))
    editions = [f for f in folders if not any(f.startswith(other + "/") for other in folders)]
    return {"editions": editions, "reports": [t.language_file(Path(REPORT_FILE)).as_posix() for t in targets]}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def other_languages(settings: Settings, others: Sequence[Settings]) -> tuple[str, ...]:
    """The other target languages' folders inside this language's (`translations/ko/` inside
    English's `translations/`): each language's merge leaves the others' files to theirs."""
    mine = _folders(settings)
    return tuple(f for other in others for f in _folders(other) if f not in mine and any(f.startswith(m + "/") for m in mine))


def _snapshot(top: Path, folders: Sequence[str], exclude: Sequence[str] = ()) -> dict[str, str]:
    """The digests of the files under `folders` of `top`, hidden ones left out (upload-artifact
    leaves them out too), and those under `exclude` (another language's). Digests, not
    contents: N shards of a large tree stay small in memory."""
    files: dict[str, str] = {}
    for folder in folders:
        base = top / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(top)
            name = relative.as_posix()
            if path.is_file() and not any(part.startswith(".") for part in relative.parts) and not _under(name, exclude):
                files[name] = _digest(path.read_bytes())
    return files


def _refuse_links(folder: Path, folders: Sequence[str]) -> None:
    """An artifact holds regular files only: a symlink in it (to a file outside the artifact,
    say) would be copied into the tree as the file it points to."""
    for name in folders:
        parts = Path(name).parts
        links = [p for p in (folder.joinpath(*parts[: i + 1]) for i in range(len(parts))) if p.is_symlink()]
        if not links:
            for top, dirs, files in os.walk(folder / name):
                links += [Path(top) / n for n in (*dirs, *files) if (Path(top) / n).is_symlink()]
        if links:
            shown = links[0].relative_to(folder).as_posix()
            raise InputError(f"a symlink in the artifact ({shown}): a shard writes regular files only", path=folder)


def _refuse_escapes(report: ReportJSON, path: Path) -> None:
    """Each post a report names is a relative path inside the tree: no `..`, not absolute."""
    for post in report["posts"]:
        name = post["post"]
        if not isinstance(name, str) or not name or PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
            raise InputError(f"the report names a post outside the tree: {str(name)[:200]!r}", path=path)


def _under(path: str, folders: Sequence[str]) -> bool:
    return any(path.startswith(folder + "/") for folder in folders)


def load_shard(folder: Path, settings: Settings, exclude: Sequence[str] = (), report_name: str = REPORT_FILE) -> Shard:
    """A shard's artifact for one language: its run report (`report_name`: `report.ko.json`
    for Korean) and the files of the language's folders (not those under `exclude`)."""
    path = folder / report_name
    if not path.is_file():
        raise InputError(f"no {report_name}: not the artifact of a translate shard, or its run did not finish", path=folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(p, dict) for p in data.get("posts", [])):
            raise ValueError("not a JSON object with a list of posts")
        missing = sorted(ReportJSON.__required_keys__ - set(data))
        for post in data.get("posts", []):
            missing += sorted(f"posts[].{key}" for key in PostJSON.__required_keys__ - set(post))
        if missing:
            raise ValueError(f"no {', '.join(dict.fromkeys(missing))}; written by an older pipeline?")
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"not a run report ({type(exc).__name__ if isinstance(exc, RecursionError) else exc})", path=path) from exc
    report = cast(ReportJSON, data)
    _refuse_escapes(report, path)
    folders = _folders(settings)
    _refuse_links(folder, folders)
    files, output = _snapshot(folder, folders, exclude), folders[0]
    for post in report["posts"]:
        if post["status"] == "written" and f"{output}/{post['post']}" not in files:
            raise InputError(
                f"the report says {post['post']} was written, but {output}/{post['post']} is not here: "
                "the artifact must be laid out like the project root",
                path=folder,
            )
    return Shard(folder, report, files)


def plan(settings: Settings, shards: Sequence[Shard], exclude: Sequence[str] = ()) -> Merge:
    """Decide every file before touching any: a conflict leaves the tree as it was.
    `exclude`: other languages' folders inside this one's, merged on their own."""
    if not shards:
        raise ConfigError("no shard folders given")
    root = settings.root.resolve()
    output, state = _folders(settings)
    memory_path = f"{state}/{MEMORY_FILE}"
    owners = _owners(settings, shards, root, output)
    tree = _snapshot(root, (output, state), exclude)
    merge = Merge(root, len(shards), combine([s.report for s in shards]))
    conflicts: list[str] = []
    for path in sorted({p for s in shards for p in s.files} | set(tree)):
        if path == memory_path:
            continue
        source = _source_shard(shards, path, owners.get(path, []), conflicts)
        if source is None:
            continue
        version = shards[source].files.get(path)
        if version is None:
            if path in tree:
                merge.delete.append(path)
        elif version != tree.get(path):
            merge.write[path] = shards[source].folder / path
    _merge_memory(settings, shards, memory_path, tree, merge, conflicts)
    if conflicts:
        raise MergeConflict(
            "the shards disagree about files no shard owns, so they did not start from the same tree "
            "(was the editions branch pushed to during the run?); nothing was written; run the workflow again: " + "; ".join(conflicts)
        )
    return merge


def _owners(settings: Settings, shards: Sequence[Shard], root: Path, output: str) -> dict[str, list[int]]:
    """Each edition and state file of a post a shard translated, and the shards that did."""
    owners: dict[str, list[int]] = {}
    for index, shard in enumerate(shards):
        for post in shard.report["posts"]:
            relative = Path(post["post"])
            for path in (f"{output}/{relative.as_posix()}", state_path(settings, relative).resolve().relative_to(root).as_posix()):
                owners.setdefault(path, []).append(index)
    return owners


def _source_shard(shards: Sequence[Shard], path: str, owned: list[int], conflicts: list[str]) -> int | None:
    """The shard whose copy of `path` wins: any, where all agree; else the shards that
    translated its post, where they agree; else a conflict (None)."""
    versions = [s.files.get(path) for s in shards]
    if len(set(versions)) == 1:
        return 0
    if len({versions[i] for i in owned}) == 1:
        return owned[0]
    differing = ", ".join(s.folder.name for s in shards if s.files.get(path) != versions[0])
    why = "two shards translated its post" if owned else "no shard translated its post"
    conflicts.append(f"{path} (differs in {differing} from {shards[0].folder.name}, and {why})")
    return None


def _merge_memory(
    settings: Settings, shards: Sequence[Shard], memory_path: str, tree: dict[str, str], merge: Merge, conflicts: list[str]
) -> None:
    languages = Target.of(settings).languages
    copies = [TranslationMemory.load(s.folder / memory_path, languages).entries for s in shards if memory_path in s.files]
    if not copies:
        return
    try:
        approved = [entry_from_json(e, *languages) for s in shards for e in s.report["approved_memory"]]
    except (TypeError, KeyError) as exc:
        raise InputError(f"malformed approved_memory in a shard's report ({exc})") from exc
    entries, unsettled = union(copies, approved)
    conflicts += [f"{memory_path}: the entry for {_clip(ja)!r}" for ja in unsettled]
    merged = TranslationMemory(settings.root / memory_path, entries, languages).dump()
    merge.memory_entries, merge.approved = len(entries), len({e.source for e in approved})
    if _digest(merged) != tree.get(memory_path):
        merge.write[memory_path] = merged


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def apply(merge: Merge) -> None:
    """Each file is replaced atomically; deletions last, so an interruption loses nothing new."""
    for path, data in merge.write.items():
        write_atomic(merge.root / path, data.read_bytes() if isinstance(data, Path) else data)
    for path in merge.delete:
        (merge.root / path).unlink(missing_ok=True)


def rooted(report: ReportJSON, settings: Settings) -> ReportJSON:
    """The combined report with each post's paths in this tree (`pipeline review` matches on them)."""
    posts = [
        {
            **p,
            "source": settings.path(settings.source_dir).joinpath(p["post"]).as_posix(),
            "edition": settings.path(settings.output_dir).joinpath(p["post"]).as_posix() if p["edition"] else None,
        }
        for p in report["posts"]
    ]
    return cast(ReportJSON, {**report, "posts": posts})
