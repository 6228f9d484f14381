"""The review report as one self-contained HTML file: inline CSS, no script, no fetches.

It has to work as a CI artefact opened from disk, on a laptop, with a keyboard only: skip
links, a contents table with flag counts, one section and heading per post, one table row
per changed segment, `<del>`/`<ins>` for differences (announced to screen readers through
CSS-generated hidden text), native `<details>` for long extra text, visible focus rings.
Every piece of text from the posts is escaped.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from pipeline.review.collect import Flag, PostReview, Review, Row
from pipeline.review.diff import word_diff

FLAG_LABELS = {
    "needs-review": "needs review",
    "glossary": "glossary miss",
    "japanese-left": "Japanese left",
    "placeholder": "tag or placeholder lost",
    "link": "no longer a link",
    "image": "image lost",
    "length": "length off",
    "structure": "tags broken (Japanese kept)",
    "truncated": "truncated (Japanese kept)",
    "unmapped-taxonomy": "unmapped taxonomy",
    "taxonomy-override": "edit overridden by the taxonomy",
    "skipped": "block not translated",
    "no-front-matter": "no front matter",
    "alignment": "segments do not line up",
    "stale": "edition out of date",
    "error": "error",
    "removed": "source removed",
    "no-edition": "no edition",
    "unreadable": "unreadable",
}
FLAG_ORDER = list(FLAG_LABELS)
ORIGIN_HELP = {
    "machine": "machine translation",
    "human": "edited by a translator in the English edition",
    "approved": "approved: translation memory, glossary taxonomy, or imported from a CAT tool",
    "source": "no Japanese to translate: copied from the source",
}

CSS = """
:root { --fg:#1b1f24; --muted:#57606a; --bg:#fff; --line:#d0d7de; --head:#f6f8fa; --focus:#0b57d0;
  --ins:#d2f4d9; --ins-fg:#0b4d1c; --del:#ffe0e0; --del-fg:#7d1616; --warn:#fff4cc; --warn-line:#c99700; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK JP", "Hiragino Sans", sans-serif; }
header, main, footer, nav.toc { padding: 0 1.25rem; }
h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.2rem; margin: 0; }
a { color: #0550ae; }
a:focus-visible, summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
.skip { position: absolute; left: .5rem; top: -4rem; background: var(--fg); color: #fff; padding: .5rem .75rem; z-index: 10; }
.skip:focus { top: .5rem; }
.muted, .meta { color: var(--muted); }
.summary { display: flex; flex-wrap: wrap; gap: .4rem 1.5rem; margin: .5rem 0 1rem; padding: 0; list-style: none; }
.summary strong { font-size: 1.1rem; }
.legend { font-size: .9rem; color: var(--muted); margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: .4rem .5rem; vertical-align: top; text-align: left; }
thead th { background: var(--head); position: sticky; top: 0; z-index: 1; }
nav.toc table { margin-bottom: 1.5rem; }
nav.toc td.num { text-align: right; font-variant-numeric: tabular-nums; }
section.post { border-top: 3px solid var(--line); padding: 1rem 0 1.5rem; }
section.post > header { padding: 0; }
.titles { margin: .2rem 0; }
.meta { font-size: .9rem; margin: .2rem 0 .6rem; }
.meta code { font-size: .85rem; }
table.segments { table-layout: fixed; }
col.c-seg { width: 8.5rem; } col.c-flags { width: 15rem; }
table.segments td { white-space: pre-wrap; overflow-wrap: anywhere; }
table.segments th[scope=row] { font-weight: normal; font-size: .85rem; }
table.segments th[scope=row] a { font-weight: 600; font-size: .95rem; }
tr.flagged > th[scope=row] { border-left: 4px solid var(--warn-line); }
.empty { color: var(--muted); font-style: italic; }
ins { background: var(--ins); color: var(--ins-fg); text-decoration: underline; text-decoration-thickness: 1px; }
del { background: var(--del); color: var(--del-fg); text-decoration: line-through; }
ins::before, ins::after, del::before, del::after { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(100%); white-space: nowrap; }
ins::before { content: " [inserted: "; } del::before { content: " [deleted: "; }
ins::after, del::after { content: "] "; }
.badge { display: inline-block; border-radius: .6rem; padding: 0 .45rem; font-size: .78rem; border: 1px solid var(--line);
  background: var(--head); white-space: nowrap; }
.origin-human { background: #ddf4ff; border-color: #54aeff; }
.origin-approved { background: #dafbe1; border-color: #4ac26b; }
.origin-machine { background: #f6f8fa; }
.kind-added { background: #dafbe1; } .kind-removed { background: #ffebe9; }
ul.flags { margin: 0; padding: 0; list-style: none; }
ul.flags li { background: var(--warn); border-left: 3px solid var(--warn-line); padding: .2rem .4rem; margin-bottom: .3rem; font-size: .88rem; }
ul.flags li strong { display: block; font-size: .8rem; text-transform: uppercase; letter-spacing: .02em; }
.notes { margin: .4rem 0 .8rem; padding-left: 1.2rem; }
details { margin-top: .3rem; } summary { cursor: pointer; }
details p { white-space: pre-wrap; margin: .3rem 0; }
.flag-index { font-size: .9rem; margin: .3rem 0 .8rem; }
.flag-index ul { display: inline; padding: 0; } .flag-index li { display: inline; margin-right: .6rem; }
.back { font-size: .9rem; margin: .6rem 0 0; }
footer { color: var(--muted); font-size: .85rem; padding-bottom: 2rem; }
@media (max-width: 900px) {
  table.segments, table.segments tbody, table.segments tr, table.segments th, table.segments td { display: block; width: 100%; }
  table.segments thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(100%); }
  table.segments td[data-label]::before { content: attr(data-label); display: block; font-weight: 600; color: var(--muted); }
}
@media print { .skip, .back { display: none; } thead th { position: static; } }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def flag_label(code: str) -> str:
    return FLAG_LABELS.get(code, code)


def _ordered(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (FLAG_ORDER.index(kv[0]) if kv[0] in FLAG_ORDER else len(FLAG_ORDER), kv[0]))


def _counts(counts: Counter[str]) -> str:
    if not counts:
        return '<span class="muted">none</span>'
    return ", ".join(f"{_e(flag_label(code))} {n}" for code, n in _ordered(counts))


def _diff(old: str | None, new: str | None, beside_old: bool = False) -> str:
    """`new` with what changed since `old` marked; just `new` when there is nothing to compare.

    With `beside_old` (the old text has its own column), a complete rewrite is shown as the
    new text alone rather than repeating the old one struck through.
    """
    if new is None:
        return '<span class="empty">(none)</span>'
    if old is None or old == new:
        return _e(new)
    runs = word_diff(old, new)
    if beside_old and [op for op, _ in runs] == ["delete", "insert"]:
        runs = runs[1:]
    out = []
    for op, text in runs:
        if op == "equal":
            out.append(_e(text))
        elif op == "delete":
            out.append(f"<del>{_e(text)}</del>")
        else:
            out.append(f"<ins>{_e(text)}</ins>")
    return "".join(out)


def _flag_item(flag: Flag) -> str:
    extra = ""
    if flag.previous:
        extra = f'<details><summary>Translator\'s replaced English</summary><p lang="en">{_e(flag.previous)}</p></details>'
    who = {"run": "from the run", "state": "from the committed state", "review": "found by review"}[flag.source]
    return f'<li class="flag flag-{_e(flag.code)}" title="{_e(who)}"><strong>{_e(flag_label(flag.code))}</strong>{_e(flag.message)}{extra}</li>'


def _row(post: PostReview, row: Row) -> str:
    origin = ""
    if row.origin:
        origin = (
            f' <span class="badge origin-{_e(row.origin)}" title="{_e(ORIGIN_HELP.get(row.origin, row.origin))}">{_e(row.origin)}</span>'
        )
    kind = ""
    if row.kind in ("added", "removed"):
        kind = f' <span class="badge kind-{row.kind}">{row.kind}</span>'
    head = (
        f'<th scope="row"><a href="#{_e(row.anchor)}">{_e(row.label)}</a><br>{_e(row.what)}'
        + (f'<br><span class="muted">line {row.line}</span>' if row.line else "")
        + f"<br>{origin}{kind}</th>"
    )
    ja = _diff(row.ja_old, row.ja_new) if row.ja_new is not None else f"<del>{_e(row.ja_old or '')}</del>"
    old = _e(row.en_old) if row.en_old is not None else '<span class="empty">(none)</span>'
    new = _diff(row.en_old, row.en_new, beside_old=True) if row.ja_new is not None else '<span class="empty">(removed)</span>'
    flags = "".join(_flag_item(f) for f in row.flags)
    flags_html = f'<ul class="flags">{flags}</ul>' if flags else '<span class="muted">—</span>'
    css = ' class="flagged"' if row.flags else ""
    return (
        f'<tr id="{_e(row.anchor)}"{css}>{head}'
        f'<td lang="ja" data-label="Japanese source">{ja}</td>'
        f'<td lang="en" data-label="Previous English">{old}</td>'
        f'<td lang="en" data-label="New English">{new}</td>'
        f'<td data-label="Flags">{flags_html}</td></tr>'
    )


def _post(post: PostReview) -> str:
    h = f"{post.anchor}-h"
    parts = [f'<section class="post" id="{_e(post.anchor)}" aria-labelledby="{h}"><header>']
    parts.append(f'<h2 id="{h}">{_e(post.source.name)}</h2>')
    titles = []
    if post.title:
        titles.append(f'<span lang="ja">{_e(post.title)}</span>')
    if post.english_title:
        titles.append(f'<span lang="en">{_e(post.english_title)}</span>')
    if titles:
        parts.append(f'<p class="titles">{" — ".join(titles)}</p>')
    base = f"compared with <code>{_e(post.base)}</code>" if post.base else "new: no previous version to compare with"
    status = f"; last run: {_e(post.status)}" if post.status else ""
    origins = ", ".join(f"{n} {_e(o)}" for o, n in sorted(post.origins.items()))
    parts.append(
        f'<p class="meta">Source <code>{_e(post.source)}</code> → edition <code>{_e(post.edition)}</code>; {base}{status}. '
        f"{len(post.rows)} of {post.segments} segment(s) shown" + (f"; origins: {origins}" if origins else "") + ".</p>"
    )
    parts.append("</header>")
    if post.notes:
        parts.append('<ul class="notes">' + "".join(_flag_item(f) for f in post.notes) + "</ul>")
    flagged = [r for r in post.rows if r.flags]
    if flagged:
        links = "".join(
            f'<li><a href="#{_e(r.anchor)}">{_e(r.label)}</a>'
            f' <span class="muted">({_e(", ".join(sorted({flag_label(f.code) for f in r.flags})))})</span></li>'
            for r in flagged[:60]
        )
        more = f" and {len(flagged) - 60} more" if len(flagged) > 60 else ""
        parts.append(
            f'<nav class="flag-index" aria-label="Flagged segments in {_e(post.source.name)}">Flagged: <ul>{links}</ul>{more}</nav>'
        )
    if post.rows:
        parts.append(
            '<table class="segments"><caption class="muted" style="text-align:left;caption-side:top">'
            f"Changed and flagged segments of {_e(post.source.name)}</caption>"
            '<colgroup><col class="c-seg"><col><col><col><col class="c-flags"></colgroup>'
            '<thead><tr><th scope="col">Segment</th><th scope="col">Japanese source</th><th scope="col">Previous English</th>'
            '<th scope="col">New English</th><th scope="col">Flags</th></tr></thead><tbody>'
        )
        parts += [_row(post, r) for r in post.rows]
        parts.append("</tbody></table>")
    else:
        parts.append('<p class="empty">No segment changed.</p>')
    parts.append('<p class="back"><a href="#contents">Back to contents</a></p></section>')
    return "".join(parts)


def render_html(review: Review, generated: str = "") -> str:
    flags = review.flag_counts
    origins = review.origin_counts
    base = f"compared with <code>{_e(review.base)}</code>" if review.base else "no git revision to compare with: everything shows as new"
    toc_rows = "".join(
        f'<tr><td><a href="#{_e(p.anchor)}">{_e(p.source.name)}</a></td><td class="num">{len(p.rows)}</td>'
        f'<td class="num">{sum(p.flag_counts.values())}</td><td>{_counts(p.flag_counts)}</td></tr>'
        for p in review.posts
    )
    toc = (
        '<nav class="toc" id="contents" aria-labelledby="contents-h"><h2 id="contents-h">Contents</h2>'
        + (
            '<table><thead><tr><th scope="col">Post</th><th scope="col">Changed segments</th><th scope="col">Flags</th>'
            f'<th scope="col">Flags by kind</th></tr></thead><tbody>{toc_rows}</tbody></table>'
            if review.posts
            else '<p class="empty">No post to review.</p>'
        )
        + "</nav>"
    )
    summary = (
        '<ul class="summary">'
        f"<li><strong>{len(review.posts)}</strong> post(s)</li>"
        f"<li><strong>{review.rows}</strong> segment(s) shown</li>"
        f"<li><strong>{sum(flags.values())}</strong> flag(s): {_counts(flags)}</li>"
        f"<li>origins of the segments shown: {', '.join(f'{n} {_e(o)}' for o, n in sorted(origins.items())) or 'none'}</li>"
        "</ul>"
    )
    legend = (
        '<p class="legend">In the Japanese and new English columns, <del>struck text</del> was removed and '
        "<ins>underlined text</ins> was added since the previous version. Origins: "
        + "; ".join(f"<b>{_e(o)}</b> = {_e(h)}" for o, h in ORIGIN_HELP.items())
        + ".</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Translation review: {len(review.posts)} post(s), {sum(flags.values())} flag(s)</title>"
        f"<style>{CSS}</style></head><body>"
        '<a class="skip" href="#main">Skip to the posts</a><a class="skip" href="#contents">Skip to contents</a>'
        f'<header><h1>Translation review</h1><p class="meta">{_e(review.scope)}; {base}'
        + (f"; generated {_e(generated)}" if generated else "")
        + f".</p>{summary}{legend}</header>{toc}"
        '<main id="main" tabindex="-1">'
        + "".join(_post(p) for p in review.posts)
        + "</main><footer><p>Written by <code>pipeline review</code>. Edit an English edition and commit it to keep a "
        "translator's text; <code>pipeline export</code> hands these segments to a CAT tool as XLIFF.</p></footer>"
        "</body></html>\n"
    )
