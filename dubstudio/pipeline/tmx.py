"""TMX 1.4, the translation-memory exchange format every CAT tool reads and writes.

Written with the standard library's XML modules rather than translate-toolkit: TMX is one flat
list of `<tu>` units, and that package would bring lxml and a dozen other dependencies for ~60
lines of code. Reading uses expat through `xml.etree` (no external entities or DTDs are fetched;
expat ≥ 2.4 limits entity expansion), and streams the file so large memories stay small in memory.

On import, each unit gives one entry per target variant: the `<tuv>` in the header's `srclang`
(or, for `*all*`, the first one) is the source. Language tags are reduced to their primary
subtag in lower case ("en-US" → "en"), the codes DubStudio uses. Inline markup of a `<seg>` keeps
its text (`<hi>`, `<sub>`) and drops native codes (`<bpt>`, `<ept>`, `<ph>`, `<it>`, `<ut>`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from dubstudio import __version__
from dubstudio.core.errors import UserError
from dubstudio.pipeline.translation_memory import Entry

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CODES = {"bpt", "ept", "ph", "it", "ut"}
_TMX_DATE = "%Y%m%dT%H%M%SZ"


def _language(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


def _segment_text(element: ET.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag not in _CODES:
            parts.append(_segment_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _to_iso(value: str) -> str:
    try:
        return datetime.strptime(value, _TMX_DATE).isoformat(timespec="seconds") + "+00:00"
    except ValueError:
        return ""


def _from_iso(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime(_TMX_DATE)
    except ValueError:
        return ""


def read_tmx(path: Path) -> Iterator[Entry]:
    """The entries of a TMX file; a malformed file is a `UserError` naming it and the line."""
    path = Path(path)
    source_language = ""
    try:
        for _event, element in ET.iterparse(path, events=("end",)):
            if element.tag == "header":
                source_language = element.get("srclang", "")
            elif element.tag == "tu":
                yield from _unit_entries(element, source_language)
                element.clear()
    except FileNotFoundError:
        raise UserError("the TMX file does not exist", path=path, fix="Check the path.") from None
    except ET.ParseError as exc:
        raise UserError(
            f"the TMX file is not well-formed XML ({exc})",
            path=path,
            fix="Export it again from the tool that made it, or repair the XML at that line.",
        ) from None


def _unit_entries(unit: ET.Element, source_language: str) -> Iterator[Entry]:
    variants = []
    for variant in unit.findall("tuv"):
        language = variant.get(XML_LANG) or variant.get("lang") or ""
        segment = variant.find("seg")
        if language and segment is not None:
            variants.append((_language(language), " ".join(_segment_text(segment).split())))
    wanted = _language(unit.get("srclang") or source_language)
    sources = [v for v in variants if v[0] == wanted] or variants[:1]
    if not sources:
        return
    source_lang, source_text = sources[0]
    project = next((p.text or "" for p in unit.findall("prop") if p.get("type") == "x-project"), "")
    created = _to_iso(unit.get("changedate") or unit.get("creationdate") or "")
    for language, text in variants:
        if language != source_lang and text and source_text:
            yield Entry(source_text, text, source_lang, language, project, created)


def write_tmx(path: Path, entries: Iterable[Entry]) -> int:
    """Write `entries` as TMX 1.4 (atomically: a temporary file renamed over `path`); returns the count."""
    entries = list(entries)
    source_languages = {e.source_language for e in entries}
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(
        root,
        "header",
        creationtool="DubStudio",
        creationtoolversion=__version__,
        segtype="sentence",
        datatype="plaintext",
        adminlang="en",
        srclang=source_languages.pop() if len(source_languages) == 1 else "*all*",
        **{"o-tmf": "DubStudio SQLite"},
    )
    body = ET.SubElement(root, "body")
    for entry in entries:
        attributes = {"srclang": entry.source_language}
        if date := _from_iso(entry.created):
            attributes["creationdate"] = date
        unit = ET.SubElement(body, "tu", attributes)
        if entry.project:
            ET.SubElement(unit, "prop", type="x-project").text = entry.project
        for language, text in ((entry.source_language, entry.source), (entry.target_language, entry.target)):
            variant = ET.SubElement(unit, "tuv", {XML_LANG: language})
            ET.SubElement(variant, "seg").text = text
    ET.indent(root)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        ET.ElementTree(root).write(temporary, encoding="UTF-8", xml_declaration=True)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserError(
            f"the TMX file cannot be written ({exc})", path=path, fix="Choose a writable folder."
        ) from exc
    return len(entries)
