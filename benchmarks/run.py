"""What a translation run costs: overhead, no-op runs, round trips, billing and memory.

    .venv/bin/python benchmarks/run.py            # full run (1,000-post tree), about a minute on 2 cores
    .venv/bin/python benchmarks/run.py --quick    # smaller trees, about 10 s

Prints a Markdown table (paste it into README.md) and writes everything measured, with the
machine it ran on, to benchmarks/results/latest.json. Each figure is a ratio of two numbers
measured side by side in this one run; see benchmarks/README.md for what each one means.

Nothing here touches the repository: every tree, edition, state file and cache lives in a
temporary folder, and DeepL is tests/deepl_server.py started as a subprocess.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# This checkout's `pipeline`, first: works from a fresh clone without `pip install -e .`, and
# never measures another checkout's copy that an editable install points at.
sys.path.insert(0, str(REPO))

from pipeline.cache import MemoryCache, TranslationCache  # noqa: E402
from pipeline.config import Settings, create_engine, replace  # noqa: E402
from pipeline import engines  # noqa: E402
from pipeline.engines import Engine, EngineResult  # noqa: E402
from pipeline.inline import JAPANESE  # noqa: E402
from pipeline.markdown import parser  # noqa: E402
from pipeline.post import parse_post, read_post  # noqa: E402
from pipeline.run import RunReport, Translator  # noqa: E402
from pipeline.segment import split  # noqa: E402
from pipeline.translate import REQUEST_OVERHEAD, billable_length, request_size  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "latest.json"
SERVER = REPO / "tests" / "deepl_server.py"
AUTH_KEY = "test-key"
LATENCY = 0.05  # seconds the test server waits before answering each request
EDIT = "この一文はベンチマークで追加しました。"  # appended to one paragraph for the billing figure


@dataclass(frozen=True)
class Size:
    tree: int  # posts in the synthetic tree (no-op and memory figures)
    small_tree: int  # the tree memory is compared against
    corpus: int | None  # corpus files for overhead and round trips (None: all)
    naive: int  # texts the one-per-request baseline really sends (the rest is extrapolated)
    repeats: int  # overhead: best of this many runs of each side


FULL = Size(tree=1000, small_tree=100, corpus=None, naive=100, repeats=3)
QUICK = Size(tree=200, small_tree=20, corpus=40, naive=20, repeats=1)


# --------------------------------------------------------------------------------------
# Inputs


def find_corpus(explicit: Path | None) -> Path:
    """The vendored corpus (runs from a fresh clone), else the shared one next to the repo."""
    candidates = [explicit] if explicit else [REPO / "tests" / "fixtures" / "corpus" / "ja", REPO.parent / "shared" / "corpus" / "ja"]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir() and any(candidate.rglob("*.md")):
            return candidate
    raise SystemExit(f"no corpus found (looked in {', '.join(str(c) for c in candidates)})")


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.md"))


def build_tree(files: Sequence[Path], count: int, dest: Path) -> list[Path]:
    """`count` Jekyll-named posts from the corpus, deterministically.

    Post i is corpus file i mod len(files). The first copy of each file is byte for byte the
    original; later copies get one extra lead paragraph naming the copy, so every post
    differs from every other while most of its paragraphs repeat an earlier post's (as an
    edited re-post would). Names are YYYY-MM-DD-NNNN-slug.md, one day apart.
    """
    dest.mkdir(parents=True, exist_ok=True)
    start = dt.date(2020, 1, 1)
    paths = []
    for i in range(count):
        source = files[i % len(files)]
        copy = i // len(files)
        raw = source.read_bytes()
        if copy:
            post = parse_post(source, raw)
            lead = f"この記事はベンチマーク用の複製（第{copy + 1}版、通し番号{i}）です。{post.newline}{post.newline}"
            text = post.text[: post.body_start] + lead + post.text[post.body_start :]
            raw = post.with_text(text)
        slug = re.sub(r"[^a-z0-9]+", "-", source.stem.split("__")[-1].lower()).strip("-") or "post"
        path = dest / f"{start + dt.timedelta(days=i)}-{i:04d}-{slug}.md"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def bench_settings(tmp: Path, source_dir: Path, engine: str) -> Settings:
    """Defaults, with every folder in `tmp` (the source may be elsewhere) and no glossary."""
    return replace(
        Settings(root=tmp),
        source_dir=source_dir,
        output_dir=tmp / "en",
        state_dir=tmp / "translations",
        cache_dir=tmp / "cache",
        glossary_dir=tmp / "glossary",
        engine=engine,
    )


def failures(report: RunReport) -> list[str]:
    return [f"{p.source.name}: {p.error}" for p in report.posts if p.status in ("failed", "needs-merge")]


def statuses(report: RunReport) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in report.posts:
        counts[p.status] = counts.get(p.status, 0) + 1
    return counts


# --------------------------------------------------------------------------------------
# 1. Overhead: the identity pipeline against the bare parse of the same bodies


def overhead(files: list[Path], source_dir: Path, repeats: int) -> dict:
    bodies = [read_post(f).body for f in files]
    md = parser(Settings().dialect)  # the very instance the pipeline uses (the default dialect)
    md.parse(bodies[0])
    parse_times, pipeline_times, parse_cpu, pipeline_cpu = [], [], [], []
    report = None
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            md.parse(body)
        parse_times.append(time.perf_counter() - started)
        parse_cpu.append(time.process_time() - cpu)
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
            settings = bench_settings(Path(tmp), source_dir, "identity")
            started, cpu = time.perf_counter(), time.process_time()
            translator = Translator(settings, create_engine("identity"), MemoryCache())
            report = translator.run(files)
            pipeline_times.append(time.perf_counter() - started)
            pipeline_cpu.append(time.process_time() - cpu)
    assert report is not None
    return {
        "posts": len(files),
        "bytes": sum(f.stat().st_size for f in files),
        "segments": report.segments,
        "statuses": statuses(report),
        "failures": failures(report),
        "parse_seconds": parse_times,
        "pipeline_seconds": pipeline_times,
        "parse_cpu_seconds": parse_cpu,
        "pipeline_cpu_seconds": pipeline_cpu,
        "ratio": min(pipeline_times) / min(parse_times),
        "cpu_ratio": min(pipeline_cpu) / min(parse_cpu),
    }


# --------------------------------------------------------------------------------------
# 2 and 5. Full identity run, then a no-op run, over a tree: in a fresh process per tree


def _proc_status_kib(field: str) -> int | None:
    """A `kB` field of /proc/self/status (VmHWM, VmRSS), or None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_kib() -> int:
    """VmHWM (peak resident set) of this process; getrusage where /proc is missing."""
    peak = _proc_status_kib("VmHWM")
    if peak is not None:
        return peak
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss


def current_rss_kib() -> int:
    return _proc_status_kib("VmRSS") or 0


def child_tree_run(tree: Path, limit: int) -> dict:
    """In the child process: one full identity run (disk cache, as the CLI uses) then a no-op run."""
    files = sorted(tree.glob("*.md"))[:limit]
    with tempfile.TemporaryDirectory(prefix="bench-tree-") as tmp:
        settings = bench_settings(Path(tmp), tree, "identity")
        rss_before = current_rss_kib()
        with TranslationCache(settings.path(settings.cache_dir)) as cache:
            started, cpu = time.perf_counter(), time.process_time()
            full = Translator(settings, create_engine("identity"), cache).run(files)
            full_seconds, full_cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = peak_rss_kib()
        with TranslationCache(settings.path(settings.cache_dir)) as cache:
            started, cpu = time.perf_counter(), time.process_time()
            noop = Translator(settings, create_engine("identity"), cache).run(files)
            noop_seconds, noop_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "posts": len(files),
        "bytes": sum(f.stat().st_size for f in files),
        "segments": full.segments,
        "full_seconds": full_seconds,
        "full_cpu_seconds": full_cpu,
        "full_statuses": statuses(full),
        "failures": failures(full),
        "noop_seconds": noop_seconds,
        "noop_cpu_seconds": noop_cpu,
        "noop_statuses": statuses(noop),
        "rss_before_run_kib": rss_before,
        "peak_rss_kib": peak,
    }


def tree_run(tree: Path, limit: int) -> dict:
    """Run child_tree_run in a fresh interpreter, so trees do not share a heap or a peak."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child-tree", str(tree), "--limit", str(limit)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"tree run over {limit} posts failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# 3 and 4. The DeepL test server: round trips, the naive baseline, billing


class Server:
    """tests/deepl_server.py as a subprocess (its own interpreter, so it does not take our GIL)."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--latency", str(latency), "--auth-key", AUTH_KEY],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.stop()
            raise SystemExit(f"the DeepL test server did not start (got {self.url!r})")

    def billed(self) -> int:
        """Characters the server has billed so far (GET /v2/usage)."""
        import deepl

        return deepl.Translator(AUTH_KEY, server_url=self.url, send_platform_info=False).get_usage().character.count

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class CountingEngine:
    """Wraps an engine: records every request's texts and when it was in flight."""

    inner: Engine
    calls: list[tuple[float, float, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.name, self.limits = self.inner.name, self.inner.limits
        self.bills, self.translates = self.inner.bills, self.inner.translates

    def settings(self):  # type: ignore[no-untyped-def]
        return self.inner.settings()

    def translate(self, texts: Sequence[str]) -> list[EngineResult]:
        started = time.perf_counter()
        try:
            return self.inner.translate(texts)
        finally:
            with self.lock:
                self.calls.append((started, time.perf_counter(), list(texts)))

    def busy_seconds(self) -> float:
        """Wall time during which at least one request was in flight (union of intervals)."""
        total, end = 0.0, -math.inf
        for start, stop, _ in sorted(self.calls):
            if stop <= end:
                continue
            total += stop - max(start, end)
            end = stop
        return total


def deepl_engine(url: str, settings: Settings) -> Engine:
    return engines.deepl_engine(settings, auth_key=AUTH_KEY, server_url=url)


def minimum_requests(texts: Sequence[str], max_texts: int, max_bytes: int) -> int:
    """A lower bound no packing can beat: the count limit and the byte limit, each alone.

    max(ceil(unique texts / 50), ceil(sum of their JSON sizes / (128 KiB - the 2 KiB the
    pipeline reserves for the rest of the request body))).
    """
    unique = list(dict.fromkeys(texts))
    payload = sum(request_size(t) for t in unique)
    return max(math.ceil(len(unique) / max_texts), math.ceil(payload / (max_bytes - REQUEST_OVERHEAD)))


def round_trips(server: Server, tree: Path, files: list[Path], tmp: Path, naive: int) -> dict:
    settings = bench_settings(tmp, tree, "deepl")
    engine = CountingEngine(deepl_engine(server.url, settings))
    with TranslationCache(settings.path(settings.cache_dir)) as cache:
        started = time.perf_counter()
        report = Translator(settings, engine, cache).run(files)
        wall = time.perf_counter() - started
    sent = [t for _, _, texts in engine.calls for t in texts]
    unique = list(dict.fromkeys(sent))
    requests = len(engine.calls)
    minimum = minimum_requests(unique, engine.limits.max_texts, engine.limits.max_bytes)
    ideal = requests * LATENCY / settings.jobs

    # The naive baseline: the same texts, one per request, one request at a time.
    single = deepl_engine(server.url, settings)
    sample = unique[:naive]
    started = time.perf_counter()
    for text in sample:
        single.translate([text])
    sample_seconds = time.perf_counter() - started
    per_request = sample_seconds / max(1, len(sample))
    return {
        "posts": len(files),
        "statuses": statuses(report),
        "failures": failures(report),
        "jobs": settings.jobs,
        "latency_seconds": LATENCY,
        "requests": requests,
        "reported_requests": report.usage.requests,
        "retried_texts": report.retried,
        "texts_sent": len(sent),
        "unique_texts": len(unique),
        "payload_bytes": sum(request_size(t) for t in unique),
        "minimum_requests": minimum,
        "requests_ratio": requests / minimum if minimum else None,
        "wall_seconds": wall,
        "api_busy_seconds": engine.busy_seconds(),
        "ideal_seconds": ideal,
        "api_time_ratio": engine.busy_seconds() / ideal if ideal else None,
        "wall_time_ratio": wall / ideal if ideal else None,
        "billed_characters": report.usage.billed_characters,
        "naive": {
            "requests": len(unique),
            "measured_texts": len(sample),
            "measured_seconds": sample_seconds,
            "seconds_per_request": per_request,
            "extrapolated_seconds": per_request * len(unique),
            "extrapolated": len(sample) < len(unique),
        },
    }


def pick_paragraph(files: list[Path]) -> tuple[Path, int, int, str] | None:
    """The first single-line, markup-free Japanese paragraph of at least 40 characters."""
    for path in files:
        post = read_post(path)
        for segment in split(post.body).segments:
            text = segment.source
            if (
                segment.kind == "paragraph"
                and not segment.protected.elements
                and "\n" not in text
                and "\r" not in text
                and len(text) >= 40
                and JAPANESE.search(text)
                and not re.search(r"[`*_<>\[\]!&{}$\\|~#]", text)
            ):
                return path, post.body_start + segment.start, post.body_start + segment.end, text
    return None


def billing(server: Server, tree: Path, files: list[Path], tmp: Path) -> dict:
    """After the cold run in `tmp`: drop the cache (a fresh clone), edit one paragraph, run again."""
    settings = bench_settings(tmp, tree, "deepl")
    picked = pick_paragraph(files)
    if picked is None:
        return {"error": "no plain single-line Japanese paragraph found in the tree"}
    path, start, end, old = picked
    new = old + EDIT
    post = read_post(path)
    path.write_bytes(post.with_text(post.text[:start] + new + post.text[end:]))
    shutil.rmtree(settings.path(settings.cache_dir))
    engine = CountingEngine(deepl_engine(server.url, settings))
    before = server.billed()
    with TranslationCache(settings.path(settings.cache_dir)) as cache:
        report = Translator(settings, engine, cache).run(files)
    billed = server.billed() - before
    length = len(new)
    return {
        "post": path.name,
        "paragraph": new,
        "paragraph_characters": length,
        "paragraph_billable": billable_length(new),
        "billed_characters": billed,
        "client_billed_characters": report.usage.billed_characters,
        "requests": len(engine.calls),
        "texts_sent": [t for _, _, texts in engine.calls for t in texts],
        "statuses": statuses(report),
        "failures": failures(report),
        "ratio": billed / length,
    }


# --------------------------------------------------------------------------------------
# 8. Hostile posts: time linear in size


HOSTILE = {  # name: (the post's body at `size` bytes, full size, quick size)
    "a line of backticks": (lambda n: "`" * n + "\n", 3_000, 3_000),
    "a paragraph with no sentence end": (lambda n: "word " * (n // 5) + "\n", 60_000, 60_000),
    "an ordinary post": (lambda n: "これは日本語の段落です。二つ目の文があります。\n\n" * (n // 74), 20_000_000, 4_000_000),
}


def hostile(tmp: Path, quick: bool) -> dict:
    """7. Posts built to be slow, translated by the identity engine at their full size and at a
    quarter of it: in linear time the time per byte is the same (ratio 1)."""
    results = {}
    for i, (name, (body, full, quick_size)) in enumerate(HOSTILE.items()):
        size = quick_size if quick else full
        seconds = []
        for n in (size // 4, size):
            folder = tmp / f"{i}-{n}"
            source = folder / "ja"
            source.mkdir(parents=True)
            post = source / "2020-01-01-hostile.md"
            post.write_text(f"---\ntitle: テスト\n---\n\n{body(n)}", encoding="utf-8")
            settings = bench_settings(folder, source, "identity")
            started = time.perf_counter()
            report = Translator(settings, create_engine("identity"), MemoryCache()).run([post])
            seconds.append(time.perf_counter() - started)
            if failures(report):
                return {"error": f"{name}: {failures(report)}"}
        results[name] = {"bytes": size, "seconds": seconds[1], "quarter_seconds": seconds[0], "ratio": seconds[1] / (4 * seconds[0])}
    return results


# --------------------------------------------------------------------------------------
# Report


def leftovers(files: list[Path], tmp: Path) -> dict:
    """6. What stays Japanese (issue 14): the corpus and the sample posts through the pseudo
    engine; Japanese characters outside code left in the English, against the source's.
    Props of MDX-style components (`<Diagram alt="…">`) are the stated exception: reported,
    not counted against the target."""
    samples = sorted((REPO / "content" / "ja").glob("*.md"))
    everything = [*files, *samples]
    source = left = components = kept = 0
    for folder in sorted({f.parent for f in everything}):
        # a state folder per output folder: a state describes the editions of one folder
        output, state = tmp / "en" / folder.name, tmp / "state" / folder.name
        settings = Settings(root=tmp, source_dir=folder, output_dir=output, state_dir=state, dialect="kramdown")
        report = Translator(settings, create_engine("pseudo"), MemoryCache()).run([f for f in everything if f.parent == folder])
        for post in report.posts:
            source += post.leftover.source.total
            left += post.leftover.left.counted
            components += post.leftover.left.components
            kept += post.leftover.kept_segments
    return {
        "posts": len(everything), "source_characters": source, "left_characters": left,
        "component_characters": components, "kept_segments": kept, "ratio": left / source if source else 0.0,
    }


# --------------------------------------------------------------------------------------
# 7. Real Japanese Jekyll sites, judged by the real Jekyll

SITES = REPO / "tests" / "fixtures" / "sites"


def site_japanese(page_file: Path, lang: str) -> int:
    """Japanese characters a reader sees on a built page in language `lang`: its text outside
    pre/code/script (`pipeline.site.pages.PageParser`), alt and title values and the meta
    description, and aria-label values."""
    from html.parser import HTMLParser

    from pipeline.japanese import VISIBLE_JAPANESE
    from pipeline.site.pages import Page, PageParser

    page = Page(page_file, "")
    reader = PageParser(page, edition=lang)
    html = page_file.read_text(encoding="utf-8")
    reader.feed(html)
    reader.close()

    class Labels(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found.extend(v or "" for k, v in attrs if k == "aria-label")

    labels = Labels()
    labels.found = []
    labels.feed(html)
    return sum(len(VISIBLE_JAPANESE.findall(t)) for t in [*page.english_text, *labels.found])


def _stage_site(folder: Path, root: Path) -> list[Path]:
    """A project in `root` holding the site's sample posts (tests/fixtures/sites/<name>/), the
    repository's Jekyll site and glossary. A layout the posts name that the site lacks
    (`layout: blog`) is the site's post layout under that name, so every post is a post page;
    a dot in a post's name becomes `-` (the site check does not yet find the page of
    `2012-02-22-vim73w32-7.3.447.md`)."""
    (root / "content" / "ja").mkdir(parents=True)
    shutil.copytree(REPO / "site", root / "site")
    shutil.copytree(REPO / "glossary", root / "glossary")
    layouts = root / "site" / "_layouts"
    for post in sorted(folder.glob("*.md")):
        shutil.copyfile(post, root / "content" / "ja" / (post.stem.replace(".", "-") + post.suffix))
        named = re.search(r"^layout:\s*(\S+)\s*$", post.read_text(encoding="utf-8"), re.M)
        if named and not (layouts / f"{named.group(1)}.html").exists():
            shutil.copyfile(layouts / "post.html", layouts / f"{named.group(1)}.html")
    return sorted((root / "content" / "ja").glob("*.md"))


def _identity_exact(posts: list[Path], root: Path) -> list[str]:
    """The posts whose identity edition is not their source byte for byte, bar the `lang` and
    `ref` lines the pipeline writes into the front matter (a `lang: ja` becomes `lang: en`)."""
    identity = root / "identity"  # with a state folder of its own: the pseudo and DeepL runs write content/en later
    settings = replace(Settings(root=root), source_dir=root / "content" / "ja", output_dir=identity, state_dir=root / "identity-state", engine="identity")
    report = Translator(settings, create_engine("identity"), MemoryCache()).run(posts)
    differ = []
    for post in report.posts:
        added = re.compile(rf"^(?:lang: [a-z]+|ref: {re.escape(post.source.stem)})\n", re.M)
        edition = post.output.read_text(encoding="utf-8") if post.output and post.output.is_file() else None
        source = added.sub("", post.source.read_text(encoding="utf-8"), count=1)
        if post.status == "failed" or edition is None or added.sub("", edition, count=2) != source:
            differ.append(post.source.name)
    return differ


def _built_site(root: Path, engine: Engine, name: str) -> dict:
    """Translate the staged posts with `engine`, build both languages with Jekyll, and count."""
    from pipeline.site.checks import check_site

    for folder in ("content/en", "translations"):
        shutil.rmtree(root / folder, ignore_errors=True)
    settings = replace(Settings(root=root), source_dir=root / "content" / "ja", output_dir=root / "content" / "en", engine=engine.name)
    posts = sorted((root / "content" / "ja").glob("*.md"))
    report = Translator(settings, engine, MemoryCache()).run(posts)
    dest = root / f"built-{name}"
    shutil.rmtree(dest, ignore_errors=True)
    site = check_site(root / "site", root / "content", dest=dest)
    ja_chars = en_chars = 0
    for row in site.rows:
        if row.ja_page and row.en_page:
            ja_chars += site_japanese(dest / row.ja_page.lstrip("/") / "index.html", "ja")
            en_chars += site_japanese(dest / row.en_page.lstrip("/") / "index.html", "en")
    return {
        "posts": len(posts),
        "failed": failures(report),
        "pages": sum(1 for row in site.rows if row.ja_page and row.en_page),
        "structure_equal": sum(1 for row in site.rows if row.en_page and row.structure is None),
        "structure_differs": {row.post: row.structure for row in site.rows if row.structure is not None},
        "build_problems": [p for p in site.problems if "Japanese left" not in p],
        "japanese_on_ja_pages": ja_chars,
        "japanese_on_en_pages": en_chars,
    }


def real_sites(tmp: Path, server: "Server | None") -> dict:
    """7. Public Japanese Jekyll sites the pipeline was not built on (tests/fixtures/sites):
    identity byte for byte, and built with Jekyll after the pseudo engine and the DeepL test
    server, the English pages' element structure and the Japanese still seen on them."""
    from pipeline.site.build import find_jekyll

    try:
        find_jekyll()
    except Exception as exc:  # no Jekyll on this machine: the figure says so
        return {"error": f"needs Jekyll ({exc})"}
    out: dict = {}
    for folder in sorted(p for p in SITES.iterdir() if p.is_dir()):
        root = tmp / folder.name
        posts = _stage_site(folder, root)
        result: dict = {"posts": len(posts), "identity_differs": _identity_exact(posts, root)}
        result["pseudo"] = _built_site(root, create_engine("pseudo"), "pseudo")
        if server is not None:
            settings = replace(Settings(root=root), engine="deepl")
            result["deepl"] = _built_site(root, deepl_engine(server.url, settings), "deepl")
        out[folder.name] = result
    return out


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import markdown_it

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "markdown_it_py": markdown_it.__version__,
        "temp_dir": tempfile.gettempdir(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "commit": commit(),
    }


def commit() -> str | None:
    """The checked-out commit (read-only `git rev-parse`); None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def rows(results: dict) -> list[dict]:
    out = []
    o = results["overhead"]
    out.append({
        "figure": f"1. Overhead: identity pipeline vs bare markdown-it parse ({o['posts']} corpus posts)",
        "measured": f"{min(o['pipeline_seconds']):.2f} s",
        "baseline": f"{min(o['parse_seconds']):.2f} s",
        "ratio": f"{o['ratio']:.2f}x (CPU time {o['cpu_ratio']:.2f}x)",
        "target": "≤ 2x",
        "met": o["ratio"] <= 2 and not o["failures"],
    })
    big, small = results["tree"], results["small_tree"]
    noop_ratio = big["noop_seconds"] / big["full_seconds"]
    out.append({
        "figure": f"2. No-op run vs full identity run ({big['posts']}-post tree)",
        "measured": f"{big['noop_seconds']:.2f} s",
        "baseline": f"{big['full_seconds']:.2f} s",
        "ratio": f"{noop_ratio:.1%}",
        "target": "≤ 5%",
        "met": noop_ratio <= 0.05 and big["noop_statuses"] == {"up-to-date": big["posts"]},
    })
    r = results["round_trips"]
    n = r["naive"]
    out.append({
        "figure": (
            f"3a. Round trips: requests, cold run of {r['posts']} posts, {r['unique_texts']} unique texts "
            f"(minimum = max(⌈texts/50⌉, ⌈bytes/126 KiB⌉))"
        ),
        "measured": f"{r['requests']} requests",
        "baseline": f"{r['minimum_requests']} minimum",
        "ratio": f"{r['requests_ratio']:.3f}x",
        "target": "≤ 1.10x",
        "met": r["requests_ratio"] <= 1.10 and not r["failures"],
    })
    out.append({
        "figure": (
            f"3b. Round trips: time with a request in flight vs ideal requests × "
            f"{r['latency_seconds'] * 1000:.0f} ms / {r['jobs']} jobs"
        ),
        "measured": f"{r['api_busy_seconds']:.2f} s",
        "baseline": f"{r['ideal_seconds']:.2f} s",
        "ratio": f"{r['api_time_ratio']:.2f}x",
        "target": "≤ 1.5x",
        "met": r["api_time_ratio"] <= 1.5,
    })
    out.append({
        "figure": "3c. Round trips: wall time of the whole cold run (our CPU work included) vs the same ideal",
        "measured": f"{r['wall_seconds']:.2f} s",
        "baseline": f"{r['ideal_seconds']:.2f} s",
        "ratio": f"{r['wall_time_ratio']:.2f}x",
        "target": "≤ 1.5x",
        "met": r["wall_time_ratio"] <= 1.5,
    })
    est = f"time extrapolated from the first {n['measured_texts']}" if n["extrapolated"] else "measured"
    out.append({
        "figure": f"3d. Naive baseline: the same texts one per request, one at a time ({est})",
        "measured": f"{r['requests']} requests, {r['wall_seconds']:.1f} s",
        "baseline": f"{n['requests']} requests, {n['extrapolated_seconds']:.0f} s",
        "ratio": f"{r['requests'] / n['requests']:.3f}x requests, {r['wall_seconds'] / n['extrapolated_seconds']:.3f}x time",
        "target": "(reference)",
        "met": None,
    })
    b = results["billing"]
    if "error" in b:
        out.append({"figure": "4. Billing", "measured": b["error"], "baseline": "", "ratio": "", "target": "1.0", "met": False})
    else:
        out.append({
            "figure": "4. Billing: characters billed after editing one paragraph (cache deleted) vs its length",
            "measured": f"{b['billed_characters']} chars",
            "baseline": f"{b['paragraph_characters']} chars",
            "ratio": f"{b['ratio']:.3f}",
            "target": "exactly 1.0",
            "met": b["billed_characters"] == b["paragraph_characters"],
        })
    mem_ratio = big["peak_rss_kib"] / small["peak_rss_kib"]
    out.append({
        "figure": f"5. Memory: peak RSS, {big['posts']}-post tree vs {small['posts']}-post tree (identity, disk cache)",
        "measured": mib(big["peak_rss_kib"]),
        "baseline": mib(small["peak_rss_kib"]),
        "ratio": f"{mem_ratio:.2f}x",
        "target": "< 1.5x",
        "met": mem_ratio < 1.5 and not big["failures"],
    })
    lo = results["leftovers"]
    out.append({
        "figure": (
            f"6. Japanese left outside code, pseudo engine, {lo['posts']} corpus and sample posts "
            f"(component props excepted: {lo['component_characters']:,} chars; {lo['kept_segments']} segments kept)"
        ),
        "measured": f"{lo['left_characters']:,} chars",
        "baseline": f"{lo['source_characters']:,} chars",
        "ratio": f"{lo['ratio']:.4%}",
        "target": "≤ 0.1%",
        "met": lo["ratio"] <= 0.001,
    })
    out.extend(site_rows(results.get("real_sites")))
    hostile_posts = results.get("hostile", {})
    if "error" in hostile_posts:
        out.append({"figure": "8. Hostile posts", "measured": hostile_posts["error"], "baseline": "", "ratio": "", "target": "", "met": False})
    else:
        for name, h in hostile_posts.items():
            out.append({
                "figure": f"8. Hostile post, {name} ({h['bytes']:,} bytes): identity run vs 4 × the run at a quarter of its size",
                "measured": f"{h['seconds']:.2f} s",
                "baseline": f"4 × {h['quarter_seconds']:.2f} s",
                "ratio": f"{h['ratio']:.2f}x",
                "target": "≤ 1.5x (linear)",
                "met": h["ratio"] <= 1.5,
            })
    return out


def site_rows(sites: dict | None) -> list[dict]:
    """Figure 7's rows: the real sites' posts together."""
    if not sites:
        return []
    if "error" in sites:
        return [{"figure": "7. Real Japanese Jekyll sites", "measured": sites["error"], "baseline": "", "ratio": "", "target": "", "met": None}]
    names = ", ".join(sites)
    posts = sum(s["posts"] for s in sites.values())
    exact = posts - sum(len(s["identity_differs"]) for s in sites.values())
    pages = {e: sum(s[e]["pages"] for s in sites.values()) for e in ("pseudo", "deepl")}
    equal = {e: sum(s[e]["structure_equal"] for s in sites.values()) for e in ("pseudo", "deepl")}
    ja = sum(s["pseudo"]["japanese_on_ja_pages"] for s in sites.values())
    en = sum(s["pseudo"]["japanese_on_en_pages"] for s in sites.values())
    return [
        {
            "figure": f"7a. Real Japanese Jekyll sites ({names}; {posts} posts): identity editions byte for byte",
            "measured": f"{exact} posts", "baseline": f"{posts} posts", "ratio": f"{exact / posts:.1%}", "target": "100%",
            "met": exact == posts,
        },
        {
            "figure": "7b. The same built with Jekyll: English pages with the Japanese page's element structure (pseudo; DeepL test server)",
            "measured": f"{equal['pseudo']}; {equal['deepl']} pages", "baseline": f"{pages['pseudo']}; {pages['deepl']} pages",
            "ratio": f"{equal['pseudo'] / max(pages['pseudo'], 1):.1%}; {equal['deepl'] / max(pages['deepl'], 1):.1%}", "target": "100%",
            "met": equal == pages and pages["pseudo"] == posts,
        },
        {
            "figure": "7c. Japanese a reader sees on the English pages (pseudo; text outside pre/code, alt, title, aria-label)",
            "measured": f"{en:,} chars", "baseline": f"{ja:,} chars on the Japanese pages", "ratio": f"{en / max(ja, 1):.3%}",
            "target": "≤ 0.1%", "met": en <= ja * 0.001,
        },
    ]


def markdown_table(table: list[dict]) -> str:
    lines = ["| figure | measured | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    for row in table:
        met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
        lines.append(f"| {row['figure']} | {row['measured']} | {row['baseline']} | {row['ratio']} | {row['target']} | {met} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the translation pipeline (see benchmarks/README.md).")
    ap.add_argument("--quick", action="store_true", help="smaller trees and samples (about 10 s)")
    ap.add_argument("--corpus", type=Path, help="folder of Japanese .md files (default: tests/fixtures/corpus/ja)")
    ap.add_argument("--json", type=Path, default=RESULTS, help=f"where to write the results (default: {RESULTS.relative_to(REPO)})")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--sites", action="store_true", help="only figure 7, the real Jekyll sites (needs Jekyll)")
    ap.add_argument("--child-tree", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child_tree is not None:
        print(json.dumps(child_tree_run(args.child_tree, args.limit)))
        return 0

    size = QUICK if args.quick else FULL
    corpus = find_corpus(args.corpus)
    files = corpus_files(corpus)[: size.corpus]
    started = time.perf_counter()
    results: dict = {"quick": args.quick, "corpus": str(corpus), "machine": machine()}

    def step(name: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {name}", file=sys.stderr, flush=True)

    if args.sites:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name, Server(0.0) as server:
            step("7. real Japanese Jekyll sites: identity, then pseudo and the DeepL test server, built with Jekyll")
            results["real_sites"] = real_sites(Path(tmp_name), server)
        table = site_rows(results["real_sites"])
        print(markdown_table(table))
        return 1 if args.check and any(r["met"] is False for r in table) else 0

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        step(f"1. overhead over {len(files)} corpus posts (best of {size.repeats})")
        results["overhead"] = overhead(files, corpus, size.repeats)

        step(f"building the {size.tree}-post tree")
        tree = tmp / "tree"
        build_tree(corpus_files(corpus), size.tree, tree)
        step(f"2/5. full + no-op identity runs, {size.tree} posts (subprocess)")
        results["tree"] = tree_run(tree, size.tree)
        step(f"2/5. full + no-op identity runs, {size.small_tree} posts (subprocess)")
        results["small_tree"] = tree_run(tree, size.small_tree)

        step(f"3. cold run of {len(files)} posts against the test server ({LATENCY * 1000:.0f} ms latency)")
        rt_tree = tmp / "rt-tree"
        rt_files = build_tree(files, len(files), rt_tree)  # the corpus files, renamed: the billing edit needs a copy
        with Server(LATENCY) as server:
            results["round_trips"] = round_trips(server, rt_tree, rt_files, tmp / "rt", size.naive)
            step("4. billing: edit one paragraph, drop the cache, run again")
            results["billing"] = billing(server, rt_tree, rt_files, tmp / "rt")

        step("6. leftovers: the corpus and the samples through the pseudo engine")
        results["leftovers"] = leftovers(files, tmp / "leftovers")
        step("7. real Japanese Jekyll sites: identity, then pseudo and the DeepL test server, built with Jekyll")
        with Server(0.0) as server:
            results["real_sites"] = real_sites(tmp / "sites", server)
        step("8. hostile posts: full size and a quarter, identity engine")
        results["hostile"] = hostile(tmp / "hostile", args.quick)

    results["seconds"] = time.perf_counter() - started
    if hasattr(os, "getloadavg"):
        results["machine"]["load_average_after"] = list(os.getloadavg())
    table = rows(results)
    results["table"] = table
    results["markdown"] = markdown_table(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    m = results["machine"]
    print(markdown_table(table))
    print()
    load = m.get("load_average")
    print(
        f"{m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python {m['python']}, "
        f"markdown-it-py {m['markdown_it_py']}; {results['seconds']:.0f} s in all"
        + (" (--quick)" if args.quick else "")
        + (f"; load average {load[0]:.2f} before the run" if load else "")
    )
    try:
        shown = args.json.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = args.json
    print(f"written to {shown}")
    return 1 if args.check and any(r["met"] is False for r in table) else 0


if __name__ == "__main__":
    sys.exit(main())
