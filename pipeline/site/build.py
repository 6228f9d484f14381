"""Build the bilingual Jekyll site: stage the site with each language's posts and run the real Jekyll.

The checks are about the *built* site, so something has to produce it without touching the
repository: `build` copies site/ and the posts of every language (content/ja, content/en,
...) into a temporary folder, sets polyglot's languages, runs `jekyll build` (with the
jekyll-polyglot plugin, see site/_config.yml) and returns a `BuildResult`: where the pages
are and every line Jekyll complained about, rewritten to name the repository's file.  The
language codes (`Languages`) and the errors of the site commands live here too, as the
lowest module of `pipeline.site`: reading the pages and the checks build on them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipeline.errors import PipelineError

DEFAULT_LANG = "ja"
EN = "en"
LANGS = (DEFAULT_LANG, EN)


@dataclass(frozen=True)
class Languages:
    """The language codes of a post's two editions: the sources' and the editions'
    (polyglot's `default_lang` and the site's other language). They come from the folders
    the command reads (the settings' source language and `lang_value`)."""

    source: str = DEFAULT_LANG
    edition: str = EN
    others: tuple[str, ...] = ()  # the other editions of the same build (their pages live in /<code>/ too)

    @classmethod
    def of(cls, sources: Mapping[str, object], edition: str | None = None) -> Languages:
        """From posts keyed by language, the sources' first; the edition checked is
        `edition`, else the second language."""
        codes = list(sources)
        if len(codes) < 2:
            return cls()
        edition = edition or codes[1]
        return cls(codes[0], edition, tuple(c for c in codes[1:] if c != edition))

    @property
    def han_script(self) -> bool:
        """The edition is written with Han characters (Chinese): Japanese left in its pages
        is kana (`leftover_japanese`)."""
        return self.edition.split("-")[0] == "zh"


INSTALL_HINT = "apt-get install -y jekyll ruby-jekyll-polyglot"
JEKYLL_TIMEOUT_SECONDS = 300


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Lines Jekyll prints around a fatal error that carry no information of their own.
NOISE_LINE = re.compile(r"^\s*(?:from \S+:\d+:in |-{10,}$|Jekyll \d[\d.]*\s+Please append|for any additional information)")
# The Ruby exception line after a fatal error repeats Jekyll's own message, when there is one.
RUBY_EXCEPTION = re.compile(r"^/\S+\.rb:\d+:in ")


# --------------------------------------------------------------------------------------
# Errors


class SiteError(PipelineError):
    """The site could not be built or checked at all (as opposed to: checked and failed)."""

    exit_code = 2


class JekyllNotInstalled(SiteError):
    """`jekyll` (or the jekyll-polyglot plugin) is missing; the message is the one-line fix."""

    def __init__(self, missing: str = "jekyll") -> None:
        super().__init__(f"{missing} is not installed; install Jekyll and its plugin with: {INSTALL_HINT}")
        self.missing = missing


# --------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Diagnostic:
    """One warning or error line Jekyll printed, with the repository file it is about."""

    text: str
    source: Path | None = None


@dataclass
class BuildResult:
    """What one `jekyll build` produced: the site in `dest` and everything it complained about."""

    dest: Path
    returncode: int
    diagnostics: list[Diagnostic]
    seconds: float
    sources: dict[str, dict[str, Path]]  # lang -> post stem -> file in content/<lang>/
    baseurl: str = ""
    site_url: str = ""
    output: str = ""  # everything Jekyll printed, ANSI colours removed, for debugging
    edition: str | None = None  # the edition language the checks look at (None: the second language)

    @property
    def languages(self) -> Languages:
        return Languages.of(self.sources, self.edition)

    @property
    def editions(self) -> list[str]:
        """Every edition language of the build (all but the sources')."""
        return list(self.sources)[1:]

    def pair(self, edition: str) -> BuildResult:
        """The same build, its checks looking at the `edition` language's pages."""
        return dataclasses.replace(self, edition=edition)

    def pair_sources(self) -> dict[str, dict[str, Path]]:
        """The sources' and the checked edition's posts."""
        langs = self.languages
        return {langs.source: self.sources[langs.source], langs.edition: self.sources.get(langs.edition, {})}


# --------------------------------------------------------------------------------------
# Build


def find_jekyll(executable: str = "jekyll") -> str:
    """Locate the Jekyll executable, or say in one line how to install it."""
    found = shutil.which(executable)
    if found is None:
        raise JekyllNotInstalled()
    return found


Content = Path | Mapping[str, Path]  # language code → its posts' folder, or a folder holding ja/ and en/


def post_sources(content: Content, languages: Iterable[str] = LANGS) -> dict[str, dict[str, Path]]:
    """The Markdown files of each language's folder, keyed by language and file stem.

    `content`: the folders by language code (the command reads them from the settings:
    `paths.source`, `paths.output` and every target's), or one folder holding a sub-folder
    per language of `languages` (the sources' first)."""
    folders = content if isinstance(content, Mapping) else {lang: content / lang for lang in languages}
    return {lang: _posts_in(folder) for lang, folder in folders.items()}


def _posts_in(folder: Path) -> dict[str, Path]:
    """Every post `translate` takes from `folder` (sub-folders too), keyed by its path in the
    folder without the extension: `2023/2024-03-14-groonga-14.0.1` (a dot in a name is no
    extension; two posts of one name in two sub-folders stay two posts)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).with_suffix("").as_posix(): p for p in sorted(folder.rglob("*.md")) if p.is_file()}


def stage(site_dir: Path, sources: dict[str, dict[str, Path]], staging: Path) -> None:
    """Copy the site and drop each language's posts into _posts/<lang>/.

    Both editions of a post have the same file name, so they cannot share a folder; Jekyll
    reads sub-folders of _posts and (with no folder before _posts) takes no category from them.
    """
    shutil.copytree(
        site_dir,
        staging,
        ignore=shutil.ignore_patterns("_site", ".jekyll-cache", ".jekyll-metadata", ".sass-cache"),
        dirs_exist_ok=True,
    )
    for lang, posts in sources.items():
        (staging / "_posts" / lang).mkdir(parents=True, exist_ok=True)
        for post, path in posts.items():
            target = staging / "_posts" / lang / f"{post}{path.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    set_languages(staging / "_config.yml", list(sources))


def set_languages(config_path: Path, languages: list[str]) -> None:
    """Polyglot's `languages` and `default_lang` from the languages of the posts (the
    sources' first, then every target's), so the site publishes each edition the run
    wrote. The file is left as it is when it says so already (its comments kept)."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    if not isinstance(config, dict) or (config.get("languages") == languages and config.get("default_lang") == languages[0]):
        return
    config.update(languages=languages, default_lang=languages[0])
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_jekyll(jekyll: str, source: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    """Run `jekyll build` with the options a check build needs.

    --future: a post dated after today is still a post to check.  No Bundler: a Gemfile in
    site/ must not make an offline CI machine try to resolve gems; Debian's gems are used.
    """
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", JEKYLL_NO_BUNDLER_REQUIRE="true")
    env.pop("BUNDLE_GEMFILE", None)
    # absolute: Jekyll runs in the staging folder, where a relative destination would be lost with it
    command = [jekyll, "build", "--source", str(source), "--destination", str(dest.resolve()), "--future", "--disable-disk-cache"]
    try:
        return subprocess.run(
            command,
            cwd=source,
            env=env,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=JEKYLL_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as exc:
        raise JekyllNotInstalled() from exc
    except subprocess.TimeoutExpired as exc:
        raise SiteError(f"jekyll build took longer than {JEKYLL_TIMEOUT_SECONDS}s and was stopped") from exc


def parse_diagnostics(stderr: str, stdout: str, staging: Path, sources: dict[str, dict[str, Path]]) -> list[Diagnostic]:
    """Every warning/error line Jekyll printed, rewritten to name the repository file.

    Jekyll writes warnings and errors (yellow/red) to stderr and progress to stdout, so every
    stderr line counts, minus the Ruby backtrace that follows a fatal error.
    """
    by_staged = {f"_posts/{lang}/{post}{path.suffix}": path for lang, posts in sources.items() for post, path in posts.items()}
    diagnostics: list[Diagnostic] = []
    lines = [*stderr.splitlines(), *(line for line in stdout.splitlines() if re.search(r"(?i)warning|error", line))]
    for raw in lines:
        line = ANSI_ESCAPE.sub("", raw).strip()
        if not line or NOISE_LINE.match(line) or (RUBY_EXCEPTION.match(line) and diagnostics):
            continue
        line = line.replace(f"{staging}/", "")
        source = None
        for staged, path in by_staged.items():
            if staged in line:
                line = line.replace(staged, str(path))
                source = path
                break
        diagnostics.append(Diagnostic(line, source))
    return diagnostics


def missing_dependency(output: str) -> str | None:
    """The gem Jekyll could not load (e.g. jekyll-polyglot), if that is why it stopped."""
    found = re.search(r"you don't have (\S+) or one of its dependencies installed", output)
    return found.group(1) if found else None


def read_site_config(site_dir: Path) -> dict[str, Any]:
    """_config.yml as a dict: baseurl and url decide which links are internal."""
    config_path = site_dir / "_config.yml"
    if not config_path.is_file():
        raise SiteError(f"no Jekyll site here (missing {config_path})", path=config_path)
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SiteError(f"_config.yml is not valid YAML: {exc}", path=config_path) from exc
    return config if isinstance(config, dict) else {}


def build(site_dir: Path, content_dir: Content, dest: Path, *, jekyll: str = "jekyll", languages: Iterable[str] = LANGS) -> BuildResult:
    """Build site/ with the posts of content/ja and content/en into `dest`.

    The staging copy lives in a temporary directory that is removed afterwards; only `dest`
    remains.  A failed build is returned (non-zero returncode, diagnostics), not raised:
    the report should show it next to everything else.  Only a missing Jekyll raises.
    """
    executable = find_jekyll(jekyll)
    config = read_site_config(site_dir)
    sources = post_sources(content_dir, languages)
    with tempfile.TemporaryDirectory(prefix="pipeline-site-") as tmp:
        staging = Path(tmp) / "src"
        stage(site_dir, sources, staging)
        started = time.monotonic()
        proc = run_jekyll(executable, staging, dest)
        seconds = time.monotonic() - started
        output = ANSI_ESCAPE.sub("", proc.stdout + proc.stderr)
        missing = missing_dependency(output)
        if missing is not None:
            raise JekyllNotInstalled(missing)
        diagnostics = parse_diagnostics(proc.stderr, proc.stdout, staging, sources)
    return BuildResult(
        dest=dest,
        returncode=proc.returncode,
        diagnostics=diagnostics,
        seconds=seconds,
        sources=sources,
        baseurl=str(config.get("baseurl") or "").rstrip("/"),
        site_url=str(config.get("url") or "").rstrip("/"),
        output=output,
    )
