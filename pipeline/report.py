"""The machine-readable run report (`translate --report FILE.json`)."""

from __future__ import annotations

from typing import Any

from pipeline.run import RunReport


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
