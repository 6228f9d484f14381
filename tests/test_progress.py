"""What an operator watching a long run sees (issue 24): in a CI log, output piped to a file,
plain progress lines while the run goes, not only the summary at its end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from helpers import SAMPLES, make_site

LINE = re.compile(
    r"progress: (\d+)/(\d+) posts, ([\d,]+)/([\d,]+) segments, ([\d,]+) characters billed in (\d+) request\(s\), (\d+)s elapsed"
)


def test_piped_run_prints_progress_lines_while_it_runs(tmp_path: Path, deepl_server) -> None:
    """300 ms per request, small windows (several rounds of requests), stderr to a file: lines
    come at each window's end and from the timer (its interval shortened for the test), each
    read back while the run is still going, with how many requests the server had answered."""
    site = make_site(tmp_path / "site", SAMPLES)
    for n in range(3):  # short posts: more windows, more rounds of requests
        paragraphs = "\n\n".join(f"短い記事{n}の段落{i}です。翻訳の進み具合を確かめる。" for i in range(16))
        (site / "content" / "ja" / f"2026-03-0{n + 1}-short.md").write_text(
            f"---\ntitle: 短い記事{n}\n---\n\n{paragraphs}\n", encoding="utf-8"
        )
    (site / "pipeline.toml").write_text("[translate]\nwindow_texts = 15\n", encoding="utf-8")
    deepl_server.set_latency(0.3)
    log = tmp_path / "stderr.txt"
    env = {
        **os.environ,
        "DEEPL_AUTH_KEY": deepl_server.auth_key,
        "DEEPL_SERVER_URL": deepl_server.url,
        "PIPELINE_PROGRESS_INTERVAL": "0.5",
        "COLUMNS": "200",
    }
    seen: list[tuple[float, int, str]] = []  # when each line was read, requests answered by then, the line
    with log.open("w", encoding="utf-8") as stderr:
        run = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "translate"], cwd=site, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        started = time.monotonic()
        while run.poll() is None:
            lines = log.read_text(encoding="utf-8").splitlines()
            for line in lines[len(seen) :]:
                seen.append((time.monotonic() - started, len(deepl_server.translate_requests), line))
            time.sleep(0.05)
        summary = run.stdout.read() if run.stdout else ""
    ended = time.monotonic() - started
    assert run.returncode == 0, log.read_text(encoding="utf-8") + summary
    requests = len(deepl_server.translate_requests)
    progress = [(at, answered, LINE.search(line)) for at, answered, line in seen if line.startswith("progress:")]
    assert all(match for _, _, match in progress), seen
    during = [(at, answered, m) for at, answered, m in progress if m and answered < requests]
    assert len(during) >= 2, f"{len(during)} progress line(s) before the last request was answered ({requests}):\n{seen}"
    assert any(int(m.group(1)) < int(m.group(2)) for _, _, m in during), "no line shows a run part-way through its posts"
    counts = [(int(m.group(1)), int(m.group(3).replace(",", ""))) for _, _, m in progress if m]
    assert counts == sorted(counts), "posts and segments done never go back"
    final = progress[-1][2]  # the last window's line
    assert final is not None and final.group(1) == final.group(2) == str(len(SAMPLES) + 3) and final.group(3) == final.group(4)
    billed = re.search(r"([\d,]+) characters billed in (\d+) request", summary)
    assert billed is not None and final.group(5) == billed.group(1), (final.group(0), summary)
    assert progress[0][0] < ended
    assert not any("━" in line for _, _, line in seen), "no bar drawn into a file"
