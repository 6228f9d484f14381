"""Which Markdown the site's renderer reads: the pipeline must read a post the same way.

Jekyll renders Markdown with the converter named by `markdown:` in the site's `_config.yml`,
kramdown by default, with `kramdown: input: GFM`. A pipeline that read CommonMark where the
site renders kramdown would translate what kramdown treats as markup (IALs, header ids,
Liquid link destinations) and break the English page; so the dialect comes from the site
itself, and `[markdown] dialect` in pipeline.toml overrides it for a site rendered otherwise.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.errors import ConfigError

KRAMDOWN, COMMONMARK = "kramdown", "commonmark"
DIALECTS = (KRAMDOWN, COMMONMARK)
# Jekyll's `markdown:` values: kramdown (built in) and the CommonMark converters of the
# jekyll-commonmark plugins. Anything else is a renderer we do not know how to read.
_RENDERERS = {"kramdown": KRAMDOWN, "commonmark": COMMONMARK, "commonmarkghpages": COMMONMARK}
_FIX = 'set [markdown] dialect = "kramdown" or "commonmark" in pipeline.toml'


def site_dialect(site_dir: Path) -> str:
    """The dialect the Jekyll site in `site_dir` renders posts with (Jekyll's default, kramdown,
    when there is no site or its config does not say)."""
    config_path = site_dir / "_config.yml"
    if not config_path.is_file():
        return KRAMDOWN
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"the site config does not parse ({_first_line(exc)}); fix it or {_FIX}", path=config_path, line=line) from exc
    if not isinstance(config, dict):
        return KRAMDOWN
    renderer = str(config.get("markdown") or "kramdown")
    dialect = _RENDERERS.get(renderer.lower().replace("-", "").replace("_", ""))
    if dialect is None:
        raise ConfigError(f"unknown Markdown renderer 'markdown: {renderer}'; {_FIX}", path=config_path)
    options = config.get("kramdown") if dialect == KRAMDOWN else None
    if isinstance(options, dict) and options.get("hard_wrap") is True:
        raise ConfigError(
            "kramdown hard_wrap: true (every line break a <br>) is not supported yet; set it to false or " + _FIX,
            path=config_path,
        )
    return dialect


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
