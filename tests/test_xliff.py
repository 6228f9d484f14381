"""`pipeline export` / `pipeline import`: segments to a CAT tool as XLIFF 1.2 and back.

The exported file must validate against the OASIS XLIFF 1.2 strict schema (vendored in
fixtures/xliff/), carry our inline markup as XLIFF inline elements, and survive a round
trip: importing what a translator edited changes exactly those segments of the edition
(every other byte stays), records them as approved in the state and the translation
memory, and a unit whose Japanese changed since export is refused with file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import REPO, make_site, run_cli
from test_review import fake_english, replace_in, run_review

etree = pytest.importorskip("lxml.etree", reason="lxml is needed to validate against the XLIFF schema")

POST = "2025-09-30-aws-ai-revenue.md"
NS = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
SCHEMA_DIR = Path(__file__).resolve().parent / "fixtures" / "xliff"
BOLD_SOURCE = "例えば、生成AIアプリケーションを安全に開発するためのプラットフォームである**Amazon Bedrock**は"


def xliff_schema() -> etree.XMLSchema:
    """The strict schema, its `xml.xsd` import pointed at the vendored copy (no network)."""
    text = (SCHEMA_DIR / "xliff-core-1.2-strict.xsd").read_bytes()
    text = text.replace(b'schemaLocation="http://www.w3.org/2001/xml.xsd"', b'schemaLocation="xml.xsd"')
    return etree.XMLSchema(etree.fromstring(text, base_url=(SCHEMA_DIR / "xliff-core-1.2-strict.xsd").as_uri()))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deepl_env) -> Path:
    make_site(tmp_path, [REPO / "content" / "ja" / POST])
    monkeypatch.chdir(tmp_path)
    deepl_env.set_translator(fake_english)
    assert run_cli("translate").exit_code == 0
    return tmp_path


def export_all(site: Path) -> Path:
    path = site / "out.xlf"
    result = run_review("export", "--all", "-o", str(path))
    assert result.exit_code == 0, result.stdout + result.stderr
    return path


def bold_unit(tree: etree._ElementTree) -> etree._Element:
    return next(u for u in tree.iterfind(".//x:trans-unit", NS) if "プラットフォームである" in "".join(u.find("x:source", NS).itertext()))


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file() and ".cache" not in p.parts and p.suffix != ".xlf"}


def test_export_validates_against_the_xliff_schema(site: Path) -> None:
    assert "nothing needs review" in run_review("export").stdout  # a clean machine run: nothing flagged
    tree = etree.parse(str(export_all(site)))
    schema = xliff_schema()
    assert schema.validate(tree), schema.error_log
    files = tree.findall("x:file", NS)
    assert [f.get("original") for f in files] == [POST]
    assert files[0].get("source-language") == "ja" and files[0].get("target-language") == "en-us"
    units = tree.findall(".//x:trans-unit", NS)
    assert len(units) > 20
    assert {u.find("x:target", NS).get("state") for u in units} == {"needs-review-translation"}
    # the schema is not vacuous: a wrong state value fails it
    units[0].find("x:target", NS).set("state", "looks-good")
    assert not schema.validate(tree)


def test_inline_markup_travels_as_xliff_inline_elements(site: Path) -> None:
    unit = bold_unit(etree.parse(str(export_all(site))))
    source, target = unit.find("x:source", NS), unit.find("x:target", NS)
    bold = source.find("x:g", NS)
    assert bold.get("ctype") == "bold"
    name = bold.find("x:ph", NS)
    assert name.text == "Amazon Bedrock" and name.get("equiv-text") == "Amazon Bedrock"
    ids = lambda el: sorted(e.get("id") for e in el.iter() if e.get("id"))  # noqa: E731
    assert ids(target) == ids(source)  # the machine English carries the same tags
    assert "**" not in "".join(source.itertext()) + "".join(target.itertext())


def test_round_trip_changes_exactly_the_edited_segment(site: Path, deepl_env) -> None:
    path = export_all(site)
    assert run_review("import", str(path)).stdout.startswith("0 segment(s) applied")
    before = snapshot(site)
    # a translator edits one unit and confirms another as it is
    tree = etree.parse(str(path))
    unit = bold_unit(tree)
    target = unit.find("x:target", NS)
    target.text = "Reviewed: " + (target.text or "").lstrip()
    target.set("state", "translated")
    confirmed = tree.findall(".//x:trans-unit", NS)[0]
    confirmed.find("x:target", NS).set("state", "final")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")

    result = run_review("import", str(path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 segment(s) applied, 1 approved as they were" in result.stdout
    after = snapshot(site)
    edition = f"content/en/{POST}"
    old, new = before[edition].decode().split("\n\n"), after[edition].decode().split("\n\n")
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert len(old) == len(new) and len(changed) == 1
    paragraph = new[changed[0]]
    assert paragraph.startswith("Reviewed: ") and "**Amazon Bedrock**" in paragraph
    assert {k for k in after if before.get(k) != after[k]} == {edition, f"translations/{POST}.json", "translations/memory.jsonl"}
    memory = [json.loads(line) for line in after["translations/memory.jsonl"].decode().splitlines()]
    assert sorted(m["origin"] for m in memory) == ["approved", "approved"]
    assert paragraph in [m["en"] for m in memory]
    state = json.loads(after[f"translations/{POST}.json"])
    assert [s["o"] for s in state["segments"]].count("approved") == 2 + [s["o"] for s in json.loads(before[f"translations/{POST}.json"])["segments"]].count("approved")
    # the next run keeps it: nothing to translate, nothing rewritten
    deepl_env.reset_log()
    assert run_cli("translate").exit_code == 0
    assert deepl_env.translate_requests == []
    assert snapshot(site)[edition] == after[edition]
    assert json.loads(run_cli("status", "--json").stdout)["posts"][0]["state"] == "up-to-date"


def test_import_refuses_a_unit_whose_source_changed(site: Path) -> None:
    path = export_all(site)
    tree = etree.parse(str(path))
    unit = bold_unit(tree)
    unit.find("x:target", NS).text = "Edited: "
    unit.find("x:target", NS).set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    line = bold_unit(etree.parse(str(path))).sourceline
    replace_in(site / "content" / "ja" / POST, BOLD_SOURCE, BOLD_SOURCE.replace("安全に", "手軽に"))
    assert run_cli("translate").exit_code == 0
    before = snapshot(site)
    result = run_review("import", str(path))
    assert result.exit_code == 1
    assert f"{path}:{line}:" in result.stderr and "changed since export" in result.stderr
    assert "nothing was imported" in result.stderr
    assert snapshot(site) == before


def test_import_refuses_broken_tags_and_foreign_files(site: Path) -> None:
    path = export_all(site)
    tree = etree.parse(str(path))
    unit = bold_unit(tree)
    target = unit.find("x:target", NS)
    for child in list(target):
        target.remove(child)  # a CAT tool user deleted every tag
    target.text = "Everything in plain words."
    target.set("state", "translated")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    result = run_review("import", str(path))
    assert result.exit_code == 1 and "lost" in result.stderr
    (site / "bad.xlf").write_text("<xliff version='1.2'><file", encoding="utf-8")
    result = run_review("import", str(site / "bad.xlf"))
    assert result.exit_code == 1 and "bad.xlf:1:" in result.stderr


def test_tags_rewritten_by_a_cat_tool_are_still_the_same_text(site: Path) -> None:
    """Some tools write `<g>` back as `<bpt>`/`<ept>` with the same id: not an edit."""
    path = export_all(site)
    tree = etree.parse(str(path))
    target = bold_unit(tree).find("x:target", NS)
    for g in target.findall("x:g", NS):
        parent, index = g.getparent(), g.getparent().index(g)
        bpt, ept = etree.Element(f"{{{NS['x']}}}bpt", id=g.get("id")), etree.Element(f"{{{NS['x']}}}ept", id=g.get("id"))
        bpt.text, ept.text = "<b>", "</b>"
        children = list(g)
        bpt.tail, ept.tail = g.text, g.tail
        parent.remove(g)
        for offset, el in enumerate([bpt, *children, ept]):
            parent.insert(index + offset, el)
    target.set("state", "final")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    assert xliff_schema().validate(tree)
    before = snapshot(site)
    result = run_review("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert "0 segment(s) applied, 1 approved as they were" in result.stdout
    after = snapshot(site)
    assert after[f"content/en/{POST}"] == before[f"content/en/{POST}"]


def test_import_edits_a_front_matter_value_in_place(site: Path) -> None:
    path = export_all(site)
    tree = etree.parse(str(path))
    unit = tree.find(".//x:trans-unit[@resname='title']", NS)
    target = unit.find("x:target", NS)
    for child in list(target):
        target.remove(child)
    target.text = 'What is behind "AWS AI revenue of $17 billion"?'
    target.set("state", "final")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    before = (site / "content" / "en" / POST).read_text(encoding="utf-8")
    result = run_review("import", str(path))
    assert result.exit_code == 1 and "lost" in result.stderr  # the name AWS is a protected tag
    target.text = 'What is behind "'
    name = etree.SubElement(target, f"{{{NS['x']}}}ph", id="1")
    name.text, name.tail = "AWS", ' AI revenue of $17 billion"?'
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    assert run_review("import", str(path)).exit_code == 0
    after = (site / "content" / "en" / POST).read_text(encoding="utf-8")
    old_lines, new_lines = before.splitlines(), after.splitlines()
    assert [n for o, n in zip(old_lines, new_lines) if o != n] == ['title: "What is behind \\"AWS AI revenue of $17 billion\\"?"']
    assert len(old_lines) == len(new_lines)
    assert json.loads(run_cli("status", "--json").stdout)["posts"][0]["state"] == "up-to-date"
