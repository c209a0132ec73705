"""Subtitle export (strict) and import (forgiving, with line-numbered problems)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pysubs2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dubstudio.core.errors import UserError
from dubstudio.core.project import Segment
from dubstudio.core.subtitles import SubtitleExportError, export_subtitles, import_subtitles

VALID_SRT = """1
00:00:01,000 --> 00:00:02,500
Hello there.

2
00:00:03,000 --> 00:00:05,250
Second line
with two rows.

3
00:00:06,000 --> 00:00:07,000
Ünïcödé — ¿qué tal? {laughs}
"""


def segments() -> list[Segment]:
    return [
        Segment("a", 1.0, 2.5, speaker_id="S1", original_text="Hello there.", translated_text="Hola."),
        Segment("b", 3.0, 5.25, speaker_id="S2", original_text="Fish & <chips>", translated_text="Pez {ríe}\n"
                "y patatas"),
        Segment("c", 6.0, 7.0, speaker_id="S1", original_text="Bye", translated_text=""),
    ]


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, "utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("suffix", [".srt", ".vtt", ".ass"])
def test_export_then_import_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    names = {"S1": "Ana", "S2": "Bo"}
    written = export_subtitles(segments(), path, text_field="original_text", speaker_names=names)
    assert written == 3
    result = import_subtitles(path)
    assert result.problems == []
    # SRT has no escaping: players read "<chips>" as a tag, and so does the importer
    second = "Fish &" if suffix == ".srt" else "Fish & <chips>"
    assert [(s.start, s.end, s.original_text) for s in result.segments] == [
        (1.0, 2.5, "Hello there."), (3.0, 5.25, second), (6.0, 7.0, "Bye"),
    ]
    if suffix in (".vtt", ".ass"):
        assert [s.label for s in result.speakers] == ["Ana", "Bo"]
        assert result.segments[1].speaker_id == result.speakers[1].id


def test_export_srt_text_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "dub.srt"
    assert export_subtitles(segments(), path) == 2  # the empty translation is left out
    assert path.read_text("utf-8") == (
        "1\n00:00:01,000 --> 00:00:02,500\nHola.\n\n"
        "2\n00:00:03,000 --> 00:00:05,250\nPez {ríe}\ny patatas\n\n"
    )


def test_export_vtt_escapes_and_tags_voices(tmp_path: Path) -> None:
    path = tmp_path / "orig.vtt"
    export_subtitles(segments(), path, text_field="original_text", speaker_names={"S2": "Bo"})
    text = path.read_text("utf-8")
    assert text.startswith("WEBVTT\n\n")
    assert "00:00:03.000 --> 00:00:05.250\n<v Bo>Fish &amp; &lt;chips&gt;\n" in text


def test_export_ass_keeps_braced_text_visible(tmp_path: Path) -> None:
    path = tmp_path / "dub.ass"
    export_subtitles(segments(), path, speaker_names={"S2": "Bo"})
    events = pysubs2.load(str(path)).events
    assert events[1].name == "Bo"
    assert events[1].plaintext == "Pez (ríe)\ny patatas"


def test_export_refuses_overlaps_naming_the_cues(tmp_path: Path) -> None:
    items = segments()
    items[1].start = 2.4
    with pytest.raises(SubtitleExportError, match=r"cues 1 and 2 overlap.*00:00:02\.500.*00:00:02\.400"):
        export_subtitles(items, tmp_path / "x.srt", text_field="original_text")
    items[1].start, items[1].end = 6.5, 6.8
    items[2].start, items[2].end = 3.0, 4.0
    with pytest.raises(SubtitleExportError, match="cue 3 starts before cue 2"):
        export_subtitles(items, tmp_path / "x.srt", text_field="original_text")
    assert not (tmp_path / "x.srt").exists()


def test_export_refuses_zero_length_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(SubtitleExportError, match="no duration"):
        export_subtitles([Segment("z", 1.0, 1.0002, original_text="x")], tmp_path / "z.srt",
                         text_field="original_text")
    with pytest.raises(UserError, match="unknown subtitle format"):
        export_subtitles(segments(), tmp_path / "x.txt")


def test_import_valid_srt(tmp_path: Path) -> None:
    result = import_subtitles(write(tmp_path, "a.srt", VALID_SRT))
    assert result.format == "srt" and result.problems == [] and result.speakers == []
    assert [s.original_text for s in result.segments] == [
        "Hello there.", "Second line\nwith two rows.", "Ünïcödé — ¿qué tal? {laughs}",
    ]
    assert len({s.id for s in result.segments}) == 3


FRENCH = "Où est la bibliothèque ? Ça a été très réussi."
POLISH = "Zażółć gęślą jaźń, proszę pana. Dziękuję bardzo!"


@pytest.mark.parametrize(
    ("encoding", "prefix", "line"),
    [
        ("utf-8", b"\xef\xbb\xbf", FRENCH),
        ("utf-16-le", b"\xff\xfe", FRENCH),
        ("utf-16-be", b"\xfe\xff", FRENCH),
        ("cp1252", b"", FRENCH),
        ("cp1250", b"", POLISH),
    ],
)
def test_import_detects_encodings(tmp_path: Path, encoding: str, prefix: bytes, line: str) -> None:
    text = VALID_SRT.replace("Ünïcödé — ¿qué tal? {laughs}", line)
    result = import_subtitles(write(tmp_path, "e.srt", prefix + text.encode(encoding)))
    assert result.segments[2].original_text == line
    assert not result.segments[0].original_text.startswith("\ufeff")


def test_import_tolerates_dots_missing_blank_lines_and_crlf(tmp_path: Path) -> None:
    sloppy = (
        "1\r\n00:00:01.000 --> 00:00:02.5\r\n<i>Hello</i> there.\r\n"
        "2\r\n00:00:03,000-->00:00:05,250\r\nNext {\\an8}cue\r\n\r\n\r\n"
        "00:00:06,000 --> 00:00:07,000\r\nno number\r\n"
    )
    result = import_subtitles(write(tmp_path, "s.srt", sloppy))
    assert [(s.start, s.end, s.original_text) for s in result.segments] == [
        (1.0, 2.5, "Hello there."), (3.0, 5.25, "Next cue"), (6.0, 7.0, "no number"),
    ]
    assert result.problems == []


def test_import_reports_broken_cues_with_line_numbers(tmp_path: Path) -> None:
    broken = (
        "1\n00:00:01,000 --> 00:00:02,000\nGood one\n\n"
        "2\n00:00:0x,000 --> 00:00:04,000\nBad timing\n\n"
        "3\n00:00:05,000 --> 00:00:04,000\nBackwards\n\n"
        "random garbage here\n\n"
        "5\n00:00:08,000 --> 00:00:09,000\nGood two\n"
    )
    result = import_subtitles(write(tmp_path, "b.srt", broken))
    assert [s.original_text for s in result.segments] == ["Good one", "Good two"]
    assert [(p.line, p.message.split(":")[0]) for p in result.problems] == [
        (6, "bad timing line"),
        (10, "the cue ends before it starts"),
        (13, "expected a cue, found 'random garbage here'"),
    ]


def test_import_vtt_voices_entities_and_notes(tmp_path: Path) -> None:
    vtt = (
        "WEBVTT - a title\n\nNOTE this is a comment\nspanning lines\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start position:10%\n<v.loud Ana Maria>Fish &amp; chips\n\n"
        "00:00:03.000 --> 00:00:04.000\n<v Bo><b>Yes</b>\n"
    )
    result = import_subtitles(write(tmp_path, "v.vtt", vtt))
    assert result.format == "vtt" and result.problems == []
    assert [(s.start, s.original_text) for s in result.segments] == [(1.0, "Fish & chips"), (3.0, "Yes")]
    assert [(sp.id, sp.label) for sp in result.speakers] == [("S1", "Ana Maria"), ("S2", "Bo")]


def test_import_ass_with_actor_and_comment(tmp_path: Path) -> None:
    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=2000, end=3000, text="{\\i1}Second{\\i0}", name="Bo"))
    subs.append(pysubs2.SSAEvent(start=1000, end=1500, text="First\\Nline", name="Ana"))
    subs.append(pysubs2.SSAEvent(start=1200, end=1300, text="note to self", type="Comment"))
    path = tmp_path / "a.ass"
    subs.save(str(path))
    result = import_subtitles(path)
    assert [(s.start, s.original_text) for s in result.segments] == [(1.0, "First\nline"), (2.0, "Second")]
    assert {sp.label for sp in result.speakers} == {"Ana", "Bo"}


def test_import_nothing_readable_names_file_and_first_bad_line(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.srt", "hello\nworld\n\n1\n00:00:xx --> 00:00:01,000\ntext\n")
    with pytest.raises(UserError, match=r"junk\.srt: no subtitle cue .*line 1: expected a cue"):
        import_subtitles(path)
    with pytest.raises(UserError, match="does not exist"):
        import_subtitles(tmp_path / "missing.srt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "random.srt", data)
    with contextlib.suppress(UserError):
        import_subtitles(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(VALID_SRT.encode())), st.integers(0, 8), st.binary(max_size=6)),
        max_size=6,
    ),
    suffix=st.sampled_from([".srt", ".vtt", ".ass"]),
)
def test_mutated_srt_never_crashes(tmp_path: Path, edits: list[tuple[int, int, bytes]], suffix: str) -> None:
    data = bytearray(VALID_SRT.encode("utf-8"))
    for position, deleted, inserted in edits:
        data[position:position + deleted] = inserted
    path = write(tmp_path, f"mutated{suffix}", bytes(data))
    try:
        result = import_subtitles(path)
    except UserError:
        return
    for segment in result.segments:
        assert 0 <= segment.start < segment.end and segment.original_text
