"""Exchange segments with CAT tools (OmegaT, Trados, memoQ) as XLIFF 1.2.

Export writes one `<file>` per post and one `<trans-unit>` per translatable text, with the
current English pre-filled as `<target>` and a `state` saying what it is:

* machine translation: `needs-review-translation` (`state-qualifier="leveraged-mt"`);
* a translator's edit: `translated`; an approved text: `final` (both `approved="yes"`:
  translate-toolkit, behind Weblate and Pootle, reads a unit without it as fuzzy);
* anything flagged by the last run or the state (needs review, glossary miss, broken
  tags): `needs-review-translation`, with the flags as `<note>`s;
* a segment whose Japanese was kept because the engine broke its tags: no target.

Inline markup travels as XLIFF inline elements with the ids our engine XML uses, so the
segment's `Protected` table maps them back: emphasis, links and image alt text become
`<g>`; code, URLs, HTML, Liquid, names and other protected text become `<ph>` holding the
original Markdown (and `equiv-text` with what a reader sees); hard line breaks `<x
ctype="lb"/>`. Markup that exists only in the English (a link a translator added) goes as
`<bpt>`/`<ept>`/`<ph>` carrying its Markdown, so the file alone says how to restore it.

A unit's id is `<where>.<source hash>.<English hash>` (`b3` = body segment 3, or the front
matter field name). Import finds the segment again by `where`, refuses units whose source
changed since export (the Japanese they translate is gone) or whose English changed since
export while the file changes it too (someone else's edit would be lost), and applies the
targets marked `translated`, `final` or `signed-off`. A target identical to the current
English changes nothing, unless its state raises it (a confirmed machine translation
becomes `approved`). Applied text goes through the same `inline.restore` as an engine
answer, is spliced into the edition's exact span, recorded as `approved` in the state and
the translation memory, and every file is written atomically; if any unit is refused,
nothing is written. Refused too, with file and line: a target that brings code or markup
its source does not have (`<script>`, an `on…=` or `style=` attribute, a `javascript:` or
`data:` URL, Liquid, any HTML element but text formatting: `<iframe>`, `<meta>`,
`<object>`, `<link>`...), and any DOCTYPE or entity declaration in the file (parsed with
defusedxml).

A package because the exchange is several concepts, one module each, data flowing one
way: `tokens` (inline content as a stream both directions compare), `texts` (a post's
texts with their edition and state), `export` (writing a file), `read` (reading one back,
with line numbers), `active_content` (the code a target may not bring) and `importing`
(applying a file). Import the names from their modules; this file holds no code.
"""
