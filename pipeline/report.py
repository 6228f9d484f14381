"""The machine-readable run report (`translate --report FILE.json`)."""

from __future__ import annotations

from typing import Any

from pipeline.markdown_text import code_span
from pipeline.run import RunReport

LAST_RUN = "last-run.json"  # in the cache folder: what `pipeline review` shows by default


def report_dict(report: RunReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "elapsed_seconds": round(report.elapsed, 3),
        "requests": report.usage.requests,
        "billed_characters": report.would_bill if report.dry_run else report.usage.billed_characters,
        "aborted": str(report.aborted) if report.aborted else None,
        "posts": [
            {
                "source": p.source.as_posix(),
                "edition": p.output.as_posix() if p.output else None,
                "status": p.status,
                "segments": p.segments,
                "reused": p.reused,
                "cached": p.cached,
                "sent": p.sent,
                "billed_characters": p.billed_characters,
                "error": str(p.error) if p.error else None,
                "warnings": [
                    {"line": f.line, "code": f.code, "message": f.message, **({"previous": f.previous} if f.previous else {})}
                    for f in p.flags
                ],
            }
            for p in report.posts
        ],
    }


def report_markdown(report: RunReport) -> str:
    """A summary short enough for a pull-request description or comment."""
    written = [p for p in report.posts if p.status == "written"]
    lines = [
        f"**{len(written)} edition(s) written**, {len(report.failed)} failed; "
        f"{report.usage.billed_characters:,} characters billed in {report.usage.requests} request(s).",
        "",
    ]
    rows = [p for p in report.posts if p.status != "up-to-date"]
    if rows:
        lines += ["| post | status | segments | reused | sent | billed | warnings |", "|---|---|---:|---:|---:|---:|---|"]
        for p in rows:
            codes: dict[str, int] = {}
            for flag in p.flags:
                codes[flag.code] = codes.get(flag.code, 0) + 1
            warnings = ", ".join(f"{code} ×{n}" for code, n in sorted(codes.items())) or "—"
            lines.append(
                f"| {code_span(p.source.name, in_table=True)} | {p.status} | {p.segments} | {p.reused + p.cached} | {p.sent} | "
                f"{p.billed_characters:,} | {warnings} |"
            )
    errors = [p for p in report.posts if p.error]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {code_span(str(p.error))}" for p in errors]
    return "\n".join(lines) + "\n"
