"""Judge the pipeline on a folder of real Japanese posts, as figure 7 judges its fixtures:
the identity engine must give every post back byte for byte (bar `lang`/`ref`), and Jekyll,
after the pseudo engine and after the DeepL test server, must build English pages with the
Japanese pages' element structure.

    .venv/bin/python benchmarks/real_site.py FOLDER [--stub-include NAME ...] [--plugin FILE ...]

FOLDER holds the posts (`YYYY-MM-DD-name.md`, as a site's `_posts/`); `--stub-include`
writes an empty `_includes/NAME` into the staged site, for posts that include a theme's
file (`JB/setup`, `docs_version_badge.html`); `--plugin` copies a site's own Ruby plugin
into the staged site's `_plugins/` (railsgirls.jp's `coach.rb`, a Liquid block). Posts that `{% link %}` or `{% post_url %}`
another page the folder lacks stop Jekyll's build: leave them out. Prints the counts as
JSON, and the pages whose structure differs with the site check's words. Nothing is
written outside a temporary folder (printed at the end, kept for a look at the built pages).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's `pipeline`, as run.py does

from benchmarks.figures.sites import _built_site, _identity_exact, stage_site  # noqa: E402  (after the path above)
from benchmarks.server import Server, deepl_engine  # noqa: E402  (after the path above)
from pipeline.config import Settings, create_engine, replace  # noqa: E402  (after the path above)


def judge(folder: Path, stubs: list[str], plugins: list[Path]) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="real-site-"))
    posts = stage_site(folder, root)
    for plugin in plugins:
        (root / "site" / "_plugins").mkdir(exist_ok=True)
        shutil.copyfile(plugin, root / "site" / "_plugins" / plugin.name)
    for name in stubs:
        stub = root / "site" / "_includes" / name
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("", encoding="utf-8")
    found: dict[str, object] = {"posts": len(posts), "identity_differs": _identity_exact(posts, root)}
    found["pseudo"] = _built_site(root, create_engine("pseudo"), "pseudo")
    with Server(0.0) as server:
        found["deepl"] = _built_site(root, deepl_engine(server.url, replace(Settings(root=root), engine="deepl")), "deepl")
    found["folder"] = str(root)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--stub-include", action="append", default=[], metavar="NAME")
    parser.add_argument("--plugin", action="append", default=[], type=Path, metavar="FILE")
    args = parser.parse_args()
    print(json.dumps(judge(args.folder, args.stub_include, args.plugin), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
