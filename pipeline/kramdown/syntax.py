"""The pieces of kramdown's grammar that several of its rules share: the indentation a block
may have, the body of an ALD or IAL, the end-of-block marker, and kramdown's classes of HTML
elements (span elements, content models, void elements), which pipeline.html_block reads too.

Kept below the rule modules so each of them, and the HTML block splitter, can read these
without importing one another.
"""

from __future__ import annotations

import re

OPT_SPACE = r" {0,3}"
_ALD_ANY = r"(?:\\\}|[^}])"
_EOB = re.compile(r"\^[ \t]*")

# kramdown's HTML_SPAN_ELEMENTS: a line starting with any other element is an HTML block
SPAN_ELEMENTS = frozenset(
    "a abbr acronym b big bdo br button cite code del dfn em i img input ins kbd label mark option q rb rbc "
    "rp rt rtc ruby samp select small span strong sub sup tt u var".split()
)
_LAZY_END_SPAN = SPAN_ELEMENTS | {"script"}  # these do not end a paragraph
# kramdown's HTML_CONTENT_MODEL_BLOCK and _SPAN (parser/html.rb l. 37-43): `markdown="1"` parses
# the content of these only; any other name, an MDX component's too, has the :raw model
MARKDOWN_CONTENT_MODEL = frozenset(
    "address applet article aside blockquote body dd details div dl fieldset figure figcaption footer form header "
    "hgroup iframe li main map menu nav noscript object section summary td "  # :block
    "a abbr acronym b bdo big button cite caption del dfn dt em h1 h2 h3 h4 h5 h6 i ins label legend optgroup p q "
    "rb rbc rp rt rtc ruby select small span strong sub sup th tt".split()  # :span
)
VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
