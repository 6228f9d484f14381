"""kramdown's syntax, taught to markdown-it: how Jekyll's renderer reads a post.

Jekyll renders Markdown with kramdown (GFM input by default), not CommonMark. Where the two
disagree, a pipeline reading CommonMark would translate what kramdown treats as markup and
keep what it treats as text, and the English page would not have the structure of the
Japanese one. Each rule is one piece of kramdown's grammar (kramdown 2.4,
kramdown-parser-gfm 1.1), named after the kramdown parser method it follows:

* block extensions (`parse_block_extensions`): IALs `{: .note}`, ALDs `{:ref: …}`, `{:toc}`,
  `{::comment}`/`{::nomarkdown}` blocks, `{::options /}`; and the end-of-block marker `^`.
  All are kept byte for byte and never sent; they end a paragraph (kramdown's LAZY_END).
* abbreviation definitions (`parse_abbrev_definition`): `*[HTML]: …`, whose definition is
  translated and whose key is kept.
* block HTML (`parse_block_html`): a line opening any element that is not a span element
  starts an HTML block that runs to the element's end tag (not to the next blank line, as in
  CommonMark); `markdown="block"`, or `markdown="1"` on an element kramdown knows, makes its
  content Markdown again (an MDX component's stays raw: pipeline.html_block).
* code blocks (`parse_codeblock_fenced` of kramdown-parser-gfm, `parse_codeblock`): a fence's
  info string is one word, or the line is no fence; a fence in a list item closes in the
  item, as block HTML does (`items`); an indented block takes lazy lines.
* code spans (`parse_codespan`): a run of backticks closes at the next occurrence of that run,
  inside a longer run too; a lone backtick between spaces is text.
* tables (`parse_table`): lines holding `|` between block boundaries, tried before link,
  footnote and abbreviation definitions (so definitions whose titles hold `|` are a table).
* definition lists (`parse_definition_list`): every line of the paragraph before `: …` is a term.
* span extensions and span IALs (`parse_span_extensions`): `{:target="_blank"}` after a link.
* emphasis (`parse_emphasis`): kramdown pairs `*` and `_` by its own rules, not by
  CommonMark's flanking rules, so `**「重要」**な点` is bold on the page.
* math (`parse_inline_math`, `parse_block_math`): `$$…$$` only; a single `$` is text.
* footnotes (`parse_footnote_definition`, `parse_footnote_marker`): ASCII names only; a
  definition is its first line, then only lines indented four columns (with their lazy
  lines), and it does not interrupt a paragraph.
* link definitions (`parse_link_definition`): the url may hold spaces (`[^types.hs]: …` is
  one); such a definition, which CommonMark does not read, is kept as written; the url
  stands on the label's line (one on the next line makes no definition).

The rules live in modules by kind: `blocks` (block extensions and IALs, abbreviations, block
HTML, the block attributes cut from inline content), `code_blocks` (fences, indented code),
`tables` (kramdown's tables and the list quirks around them), `terms` (a definition list's
terms, one a line), `items` (where a list item's own lines end), `footnotes` (how far a
definition runs), `spans` (span extensions and
IALs, math, emphasis) and `links` (inline links whose url holds spaces), over `syntax` (what
several of them and pipeline.html_block share). `install` puts them all in place.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.ruler import RuleOptionsType

from pipeline.kramdown.blocks import abbreviation, block_attributes, extension_block, html_block, link_definition, reference_as_kramdown
from pipeline.kramdown.code_blocks import fence, indented_code
from pipeline.kramdown.footnotes import footnote_definition, footnote_marker
from pipeline.kramdown.links import image, link
from pipeline.kramdown.spans import code_span, emphasis, inline_math, span_extension, span_ial, unclosed_ial
from pipeline.kramdown.tables import ordered_list_start, table, table_before_definitions
from pipeline.kramdown.terms import terms


def install(md: MarkdownIt) -> None:
    """Turn a CommonMark markdown-it into a reader of kramdown (GFM input), as Jekyll renders."""
    terminators: RuleOptionsType = {"alt": ["paragraph", "reference", "blockquote", "list"]}
    md.block.ruler.before("table", "kramdown_table_first", table_before_definitions)  # kramdown's order: tables, then definitions
    md.block.ruler.before("table", "kramdown_extension", extension_block, terminators)
    md.block.ruler.before("table", "kramdown_abbreviation", abbreviation, terminators)
    md.block.ruler.at("html_block", html_block, terminators)
    md.block.ruler.at("fence", fence, terminators)
    md.block.ruler.at("code", indented_code)
    definitions = md.block.ruler.__rules__[md.block.ruler.__find__("footnote_def")]
    md.block.ruler.at("footnote_def", footnote_definition(definitions.fn), {"alt": [a for a in definitions.alt if a != "paragraph"]})
    md.block.ruler.before("reference", "kramdown_link_definition", link_definition)
    md.block.ruler.at("reference", reference_as_kramdown)  # only where kramdown reads a definition too
    markers = md.inline.ruler.__rules__[md.inline.ruler.__find__("footnote_ref")]
    md.inline.ruler.at("footnote_ref", footnote_marker(markers.fn))
    md.block.ruler.disable("table")  # GFM's needs a delimiter row; kramdown's (tables.table) does not
    md.block.ruler.before("paragraph", "kramdown_table", table)  # after lists, HTML, headings, math
    md.block.ruler.before("paragraph", "kramdown_ordered_list_start", ordered_list_start, {"alt": ["paragraph"]})
    md.block.ruler.before("deflist", "kramdown_terms", terms)  # a term on each line before `: …`
    md.inline.ruler.at("emphasis", emphasis)
    md.inline.ruler.at("backticks", code_span)  # kramdown closes a code span at the first run of its length
    md.inline.ruler.at("link", link)
    md.inline.ruler.at("image", image)
    md.inline.ruler2.disable("emphasis")
    md.inline.ruler.before("emphasis", "kramdown_extension", span_extension)
    md.inline.ruler.before("emphasis", "kramdown_ial", span_ial)
    md.inline.ruler.before("emphasis", "kramdown_unclosed", unclosed_ial)
    md.inline.ruler.before("emphasis", "kramdown_math", inline_math)
    md.core.ruler.before("inline", "kramdown_block_attributes", block_attributes)
