"""What a run returns (`RunReport`, a `PostResult` per post) and its machine-readable form
(`translate --report FILE.json`) and Markdown summary.

The JSON is also how the shards of a CI run report to the job that gathers them
(`pipeline merge-shards`): `post` names each post the way its edition and state file are
named, `approved_memory` lists the translation memory entries the run approved, and
`combine` adds several reports up into one, whose summary reads like a single run's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NotRequired, TypedDict

from pipeline.config import Settings
from pipeline.engines import Spend
from pipeline.errors import CacheError, EngineError, PipelineError
from pipeline.leftovers import Leftover
from pipeline.markdown_text import code_span
from pipeline.memory import MemoryEntry, entry_json
from pipeline.qa import Flag
from pipeline.translate import Usage

Status = Literal["written", "unchanged", "up-to-date", "needs-merge", "failed", "skipped", "planned"]
LAST_RUN = "last-run.json"  # in the cache folder: what `pipeline review` shows by default


@dataclass
class PostResult:
    source: Path
    output: Path | None = None
    status: Status = "planned"
    segments: int = 0
    reused: int = 0  # English taken from the previous edition, the memory or the taxonomy
    as_is: int = 0  # segments with nothing to translate (no Japanese prose): written as they are
    previous_engine: str | None = None  # rebuilt because its edition was built with this other engine
    cached: int = 0  # served by the cache
    sent: int = 0  # texts this post sent to the engine
    billed_characters: int = 0
    lint_findings: int = 0  # editing accidents in the source (see `pipeline lint`)
    missing_terms: tuple[str, ...] = ()  # up to date, but its state records glossary misses (--strict fails)
    flags: list[Flag] = field(default_factory=list)
    error: PipelineError | None = None
    leftover: Leftover = field(default_factory=Leftover)  # what stays Japanese (issue 14)


@dataclass
class RunReport:
    posts: list[PostResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    would_bill: int = 0  # dry run: characters the missing texts would cost
    retried: int = 0  # texts asked for again because the first answer broke their structure
    elapsed: float = 0.0
    dry_run: bool = False
    aborted: EngineError | None = None
    dialect: str = ""  # the Markdown the posts were read as (the site's renderer)
    cache_error: CacheError | None = None  # answers could not be cached (the run went on)
    spend: Spend | None = None  # tokens and money, for engines billed by tokens (a dry run: the estimate)
    workers: int = 0  # processes the run's CPU stages ran in (`pipeline.workers`); 0: all in the run's own
    worker_cpu: float = 0.0  # CPU seconds those processes spent on the run (not in the run's own process time)

    def add_spend(self, spend: Spend | None) -> None:
        """A dry run's estimate of one window added up (None: the engine is not billed by tokens)."""
        if spend is not None:
            self.spend = self.spend or Spend(estimated=True)
            self.spend.add(spend)

    @property
    def failed(self) -> list[PostResult]:
        return [p for p in self.posts if p.status in ("failed", "needs-merge")]

    @property
    def segments(self) -> int:
        return sum(p.segments for p in self.posts)

    @property
    def cached(self) -> int:
        return sum(p.cached + p.reused for p in self.posts)


class WarningJSON(TypedDict, total=False):
    line: int
    code: str
    message: str
    previous: str


class _PostLeftovers(TypedDict, total=False):
    """Issue 14's counts; older reports (and shards' reports from older runs) lack them."""

    nothing_to_translate: int  # segments with no Japanese prose, written as they are (issue 24)

    kept_by_reason: dict[str, int]  # segments kept in Japanese, by reason (structure, truncated, skipped)
    japanese_source: int  # Japanese characters outside code in the source
    japanese_left: dict[str, int]  # ... left in the English edition, by place (text, attributes, components, liquid, front_matter)
    japanese_in_code: int  # Japanese characters in code blocks not translated (not in japanese_left)


class PostJSON(_PostLeftovers):
    source: str
    post: str  # path inside the source folder: the edition and the state file are named after it
    edition: str | None
    status: str
    segments: int
    reused: int
    cached: int
    sent: int
    billed_characters: int
    kept_japanese: int  # segments whose translation was refused, so the edition shows the Japanese
    glossary_misses: int
    error: str | None
    warnings: list[WarningJSON]


class _ReportFields(TypedDict):
    dry_run: bool
    shards: int  # how many runs this report adds up (1: a single run)
    elapsed_seconds: float
    requests: int
    billed_characters: int
    aborted: str | None
    approved_memory: list[dict[str, str]]
    posts: list[PostJSON]


class TokensJSON(TypedDict):
    input: int
    output: int
    estimated_cost: float | None  # at the configured prices; None: no prices configured
    currency: str
    estimated: bool  # a dry run's estimate, or answers the server sent without counting them (no `usage`)
    cached_input: NotRequired[int]  # of the input, from the server's prompt cache; older reports lack it
    reasoning: NotRequired[int]  # of the output, a reasoning model's thinking; older reports lack it


class ReportJSON(_ReportFields, total=False):
    markdown_dialect: str  # how the posts were read (the site's renderer); older reports lack it
    kept_japanese: int  # totals over the posts (issue 14); older reports lack them
    japanese_left: int
    japanese_source: int
    japanese_in_code: int
    tokens: TokensJSON  # engines billed by tokens (openai): what the server counted, or a dry run's estimate


def report_dict(report: RunReport, settings: Settings, approved: Iterable[MemoryEntry] = ()) -> ReportJSON:
    data = _report_fields(report, settings, approved)
    if report.spend is not None:
        spend = report.spend
        cost = spend.cost
        data["tokens"] = {
            "input": spend.input_tokens,
            "output": spend.output_tokens,
            "estimated_cost": round(cost, 6) if cost is not None else None,
            "currency": spend.currency,
            "estimated": spend.estimated,
            "cached_input": spend.cached_tokens,
            "reasoning": spend.reasoning_tokens,
        }
    return data


def _report_fields(report: RunReport, settings: Settings, approved: Iterable[MemoryEntry]) -> ReportJSON:
    return {
        "dry_run": report.dry_run,
        "markdown_dialect": report.dialect,
        "shards": 1,
        "elapsed_seconds": round(report.elapsed, 3),
        "requests": report.usage.requests,
        "billed_characters": report.would_bill if report.dry_run else report.usage.billed_characters,
        "aborted": str(report.aborted) if report.aborted else None,
        "approved_memory": [entry_json(e) for e in approved],
        "posts": [_post(p, settings) for p in report.posts],
        "kept_japanese": sum(p.leftover.kept_segments for p in report.posts),
        "japanese_left": sum(p.leftover.left.total for p in report.posts),
        "japanese_source": sum(p.leftover.source.total for p in report.posts),
        "japanese_in_code": sum(p.leftover.left.code for p in report.posts),
    }


def _post(p: PostResult, settings: Settings) -> PostJSON:
    codes = [f.code for f in p.flags]
    return {
        "source": p.source.as_posix(),
        "post": settings.relative(p.source).as_posix(),
        "edition": p.output.as_posix() if p.output else None,
        "status": p.status,
        "segments": p.segments,
        "reused": p.reused,
        "nothing_to_translate": p.as_is,
        "cached": p.cached,
        "sent": p.sent,
        "billed_characters": p.billed_characters,
        "kept_japanese": p.leftover.kept_segments,
        "kept_by_reason": p.leftover.kept,
        "japanese_source": p.leftover.source.total,
        "japanese_left": p.leftover.left.as_dict(),
        "japanese_in_code": p.leftover.left.code,
        "glossary_misses": codes.count("glossary"),
        "error": str(p.error) if p.error else None,
        "warnings": [_warning(f) for f in p.flags],
    }


def _warning(flag: Flag) -> WarningJSON:
    warning: WarningJSON = {"line": flag.line, "code": flag.code, "message": flag.message}
    if flag.previous:
        warning["previous"] = flag.previous
    return warning


def combine(reports: Sequence[ReportJSON]) -> ReportJSON:
    """Several runs' reports (the shards of one CI run) added up into one."""
    aborted = [a for a in (r["aborted"] for r in reports) if a]
    combined = _combined(reports, aborted)
    tokens = [r["tokens"] for r in reports if "tokens" in r]
    if tokens:
        costs = [t["estimated_cost"] for t in tokens]
        combined["tokens"] = {
            "input": sum(t["input"] for t in tokens),
            "output": sum(t["output"] for t in tokens),
            "estimated_cost": None if None in costs else round(sum(c for c in costs if c is not None), 6),
            "currency": tokens[0]["currency"],
            "estimated": any(t["estimated"] for t in tokens),
            "cached_input": sum(t.get("cached_input", 0) for t in tokens),
            "reasoning": sum(t.get("reasoning", 0) for t in tokens),
        }
    return combined


def _combined(reports: Sequence[ReportJSON], aborted: list[str]) -> ReportJSON:
    return {
        "dry_run": any(r["dry_run"] for r in reports),
        "markdown_dialect": "+".join(sorted({r.get("markdown_dialect", "") for r in reports} - {""})),
        "shards": sum(r["shards"] for r in reports),
        "elapsed_seconds": max((r["elapsed_seconds"] for r in reports), default=0.0),  # the shards run side by side
        "requests": sum(r["requests"] for r in reports),
        "billed_characters": sum(r["billed_characters"] for r in reports),
        "aborted": "; ".join(aborted) or None,
        "approved_memory": [e for r in reports for e in r["approved_memory"]],
        "posts": sorted((p for r in reports for p in r["posts"]), key=lambda p: p["post"]),
        "kept_japanese": sum(r.get("kept_japanese", 0) for r in reports),
        "japanese_left": sum(r.get("japanese_left", 0) for r in reports),
        "japanese_source": sum(r.get("japanese_source", 0) for r in reports),
        "japanese_in_code": sum(r.get("japanese_in_code", 0) for r in reports),
    }


def token_counts(input_tokens: int, output_tokens: int, cached: int, reasoning: int) -> str:
    """`1,234 input (1,000 cached) + 567 output (300 reasoning) tokens`: the parts shown when the server counted them."""
    cached_part = f" ({cached:,} cached)" if cached else ""
    reasoning_part = f" ({reasoning:,} reasoning)" if reasoning else ""
    return f"{input_tokens:,} input{cached_part} + {output_tokens:,} output{reasoning_part} tokens"


def summary_markdown(report: ReportJSON, heading: str | None = None) -> str:
    """A summary short enough for a pull-request description or comment; `heading`: the
    language it is about, when a run writes several (`### KO (content/ko)`)."""
    posts = report["posts"]
    written = sum(1 for p in posts if p["status"] == "written")
    failed = sum(1 for p in posts if p["status"] in ("failed", "needs-merge"))
    kept = sum(p["kept_japanese"] for p in posts)
    misses = sum(p["glossary_misses"] for p in posts)
    billed = f"{report['billed_characters']:,} characters " + ("would be billed" if report["dry_run"] else "billed")
    if "tokens" in report:
        t = report["tokens"]
        cost = f", estimated cost {t['estimated_cost']:.4f} {t['currency']}" if t["estimated_cost"] is not None else ""
        about = "about " if t["estimated"] and not report["dry_run"] else ""
        billed = f"{about}{token_counts(t['input'], t['output'], t.get('cached_input', 0), t.get('reasoning', 0))}{cost} " + (
            "would be sent" if report["dry_run"] else "sent"
        )
    by = f" by {report['shards']} shard(s)" if report["shards"] > 1 else ""
    lines = [f"### {heading}", ""] if heading else []
    lines += [
        f"**{written} edition(s) written**{by}, {failed} failed; {billed} in {report['requests']} request(s); "
        f"{kept} segment(s) kept in Japanese; {report.get('japanese_left', 0):,} Japanese character(s) left outside code; "
        f"{misses} glossary miss(es).",
        "",
    ]
    if report["approved_memory"]:
        lines += [f"{len(report['approved_memory'])} translator's translation(s) added to the translation memory.", ""]
    rows = [p for p in posts if p["status"] != "up-to-date"]
    if rows:
        lines += ["| post | status | segments | reused | sent | billed | warnings |", "|---|---|---:|---:|---:|---:|---|"]
        for p in rows:
            codes: dict[str, int] = {}
            for flag in p["warnings"]:
                codes[flag["code"]] = codes.get(flag["code"], 0) + 1
            warnings = ", ".join(f"{code} ×{n}" for code, n in sorted(codes.items())) or "—"
            lines.append(
                f"| {code_span(p['post'], in_table=True)} | {p['status']} | {p['segments']} | {p['reused'] + p['cached']} | "
                f"{p['sent']} | {p['billed_characters']:,} | {warnings} |"
            )
    errors = [p for p in posts if p["error"]]
    if errors:
        lines += ["", f"{len(errors)} post(s) failed or need a manual merge; their editions are not in this change:", ""]
        lines += [f"- {code_span(p['post'])} ({p['status']}): {code_span(str(p['error']))}" for p in errors]
    return "\n".join(lines) + "\n"
