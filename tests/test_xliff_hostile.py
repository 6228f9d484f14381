"""XLIFF import of a hostile or careless file: code the source never had, DOCTYPEs and
entities, and messages that blame the right party; export states a CAT tool reads right."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from test_review import replace_in, run_review
from test_xliff import NS, POST, bold_unit, export_all, site, snapshot  # noqa: F401 (site is a fixture)

etree = pytest.importorskip("lxml.etree")
X = NS["x"]


def _add_to_bold_target(path: Path, *elements: etree._Element) -> int:
    tree = etree.parse(str(path))
    unit = bold_unit(tree)
    target = unit.find("x:target", NS)
    for element in elements:
        target.append(element)
    target.set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return bold_unit(etree.parse(str(path))).sourceline


def _ph(ident: str, markup: str) -> etree._Element:
    ph = etree.Element(f"{{{X}}}ph", id=ident)
    ph.text, ph.tail = markup, " more words."
    return ph


@pytest.mark.parametrize(
    ("markup", "why"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ('<img src="x.png" onerror="alert(1)">', "an on…= attribute"),
        ('<a href="javascript:alert(1)">x</a>', "a javascript: URL"),
        ("[x](JavaScript:alert(1))", "a javascript: URL"),
        ('<iframe src="https://evil.example/"></iframe>', "<iframe>"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "<meta>"),
        ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "a data: URL"),
        ('<a href=" DATA:text/html,x">x</a>', "a data: URL"),
        ('<object data="https://evil.example/x.swf"></object>', "<object>"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link>"),
        ('<span style="position:fixed">x</span>', "a style= attribute"),
        ("{{ site.time }}", "Liquid ({{ or {%)"),
        ("{% include x.html %}", "Liquid ({{ or {%)"),
    ],
)
def test_import_refuses_code_the_source_did_not_have(site: Path, markup: str, why: str) -> None:
    path = export_all(site)
    line = _add_to_bold_target(path, _ph("e1", markup))
    before = snapshot(site)
    result = run_review("import", str(path))
    assert result.exit_code == 1, result.stdout
    assert f"{path}:{line}:" in result.stderr and why in result.stderr, result.stderr
    assert f"unit {bold_unit(etree.parse(str(path))).get('id')!r}" in result.stderr, result.stderr
    assert snapshot(site) == before


@pytest.mark.parametrize("words", [" {{ site.time }} more words.", " {% include x.html %}"])
def test_import_refuses_liquid_in_a_targets_text_naming_the_unit(site: Path, words: str) -> None:
    path = export_all(site)
    tree = etree.parse(str(path))
    unit = bold_unit(tree)
    target = unit.find("x:target", NS)
    last = target[-1] if len(target) else None
    if last is not None:
        last.tail = (last.tail or "") + words
    else:
        target.text = (target.text or "") + words
    target.set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    before = snapshot(site)
    result = run_review("import", str(path))
    assert result.exit_code == 1, result.stdout
    line = bold_unit(etree.parse(str(path))).sourceline
    assert f"{path}:{line}:" in result.stderr and f"unit {unit.get('id')!r}" in result.stderr, result.stderr
    assert "Liquid ({{ or {%)" in result.stderr, result.stderr
    assert snapshot(site) == before


def test_active_content_the_source_had_is_not_refused() -> None:
    from pipeline.review.xliff.active_content import added_active_content

    source = 'Click <a href="#" onclick="go()">here</a>'
    assert added_active_content(source, 'ここを<a href="#" onclick="go()">クリック</a>') == []
    assert added_active_content("plain", "<SCRIPT src=x></SCRIPT>") == ["<script>"]
    assert added_active_content("plain", '<a href=" java\tscript:x">') == ["<a>", "a javascript: URL"]
    # the source's own elements may stay; formatting may be added; anything else may not
    source = '地図<iframe src="https://maps.example/"></iframe>と{{ site.url }}'
    assert added_active_content(source, 'Map <iframe src="https://maps.example/"></iframe> and {{ site.url }}') == []
    assert added_active_content(source, "A <strong>map</strong><br>and <em>more</em>") == []
    assert added_active_content(source, '<iframe src="a"></iframe><iframe src="b"></iframe>') == ["<iframe>"]
    assert added_active_content('<img src="a.png" alt="x">', '<img src="a.png" alt="Data: sales by region">') == []


@pytest.mark.parametrize(
    "doctype",
    ['<!DOCTYPE xliff [<!ENTITY co "Contoso">]>', '<!DOCTYPE xliff SYSTEM "file:///etc/passwd">', "<!DOCTYPE xliff>"],
)
def test_import_refuses_a_doctype_or_entity_with_its_line(site: Path, doctype: str) -> None:
    path = export_all(site)
    head, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(f"{head}\n\n{doctype}\n{rest}".replace("</target>", "&co;</target>", 1) if "ENTITY" in doctype else f"{head}\n\n{doctype}\n{rest}", encoding="utf-8")
    before = snapshot(site)
    result = run_review("import", str(path))
    assert result.exit_code == 1
    assert f"{path}:3:" in result.stderr and "DOCTYPE" in result.stderr, result.stderr
    assert snapshot(site) == before


def test_a_tag_lost_in_the_target_is_blamed_on_the_target_not_the_engine(site: Path) -> None:
    path = export_all(site)
    tree = etree.parse(str(path))
    target = bold_unit(tree).find("x:target", NS)
    for child in list(target):
        target.remove(child)
    target.text = "Everything in plain words."
    target.set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    result = run_review("import", str(path))
    assert result.exit_code == 1
    assert "the engine" not in result.stderr
    assert "the target lost 5 tag(s)" in result.stderr and "CAT tool" in result.stderr, result.stderr


def test_a_translators_units_are_not_fuzzy_for_translate_toolkit(site: Path) -> None:
    """translate-toolkit (behind Pootle, Weblate's XLIFF reader, po2xliff...) reads a unit
    without approved="yes" as fuzzy, whatever its state."""
    xliff = pytest.importorskip("translate.storage.xliff")
    edition = site / "content" / "en" / POST
    text = edition.read_text(encoding="utf-8")
    first = next(p for p in text.split("\n\n")[1:] if p and p[0].isalpha())
    replace_in(edition, first, "A translator wrote this sentence.")
    assert run_cli("translate").exit_code == 0
    store = xliff.xlifffile.parsefile(str(export_all(site)))
    units = {u.getid(): u for u in store.units if u.istranslatable()}
    human = [u for u in units.values() if u.target and "A translator wrote this sentence." in u.target]
    assert len(human) == 1
    assert human[0].xmlelement.find(f"{{{X}}}target").get("state") == "translated"
    assert not human[0].isfuzzy() and human[0].isapproved()
    machine = [u for u in units.values() if u.xmlelement.find(f"{{{X}}}target") is not None and u not in human]
    assert machine and all(u.isfuzzy() for u in machine), "machine text still needs review"
