"""Subtitle files: strict export of segments to SRT/WebVTT/ASS, forgiving import of all three.

Export refuses input that would make an invalid file (unsorted or overlapping cues): the pipeline
guarantees neither happens, so such input is a bug or an unfinished edit, and a silently "repaired"
file would hide it. SRT and WebVTT are written here (pysubs2 treats `{…}` in plain text as ASS
override tags and drops it); ASS is written with pysubs2.

Import accepts what real files look like: any common encoding, a BOM, `,` or `.` before the
milliseconds, missing blank lines, stray garbage. Cues that cannot be read are reported with their
line numbers next to the cues that could, so an imported file can serve as the transcript.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import charset_normalizer
import pysubs2

from dubstudio.core.errors import UserError
from dubstudio.core.project import Segment, Speaker, new_id
from dubstudio.core.store import atomic_write_bytes
from dubstudio.core.timeline import format_timecode, parse_timecode

TextField = Literal["original_text", "translated_text", "tts_text"]
SubtitleFormat = Literal["srt", "vtt", "ass"]
FORMATS: dict[str, SubtitleFormat] = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ass"}
#: Subtitle files are small; a bigger file is not a subtitle file.
MAX_SUBTITLE_BYTES = 50 * 1024 * 1024

_TAG = re.compile(r"<[^>\n]*>|\{\\[^}\n]*\}")
_VOICE = re.compile(r"<v(?:\.[^ >\t]*)?[ \t]+([^>]+)>")


class SubtitleExportError(UserError):
    """The segments cannot be written as a valid subtitle file (overlapping or unsorted cues)."""


@dataclass(frozen=True)
class SubtitleProblem:
    line: int  # 1-based line in the file
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class SubtitleImport:
    """Cues read from a subtitle file, as segments (with speakers named in the file)."""

    segments: list[Segment]
    speakers: list[Speaker] = field(default_factory=list)
    problems: list[SubtitleProblem] = field(default_factory=list)
    encoding: str = "utf-8"
    format: SubtitleFormat = "srt"


# ---------------------------------------------------------------------------------------------
# export


def _format_for(path: Path, format: SubtitleFormat | None) -> SubtitleFormat:
    if format is not None:
        return format
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise UserError(
            f"unknown subtitle format {path.suffix or '(no extension)'!r}", path=path,
            fix="Use .srt, .vtt or .ass.",
        ) from None


def _cue_times_ms(segments: Sequence[Segment], path: Path) -> list[tuple[int, int]]:
    """Millisecond times of each cue, checking order and overlaps on the values actually written."""
    times = [(round(s.start * 1000), round(s.end * 1000)) for s in segments]
    for number, (start, end) in enumerate(times, start=1):
        if end <= start:
            raise SubtitleExportError(
                f"cue {number} ({format_timecode(start / 1000)}) has no duration", path=path,
                fix="Give it a length in the editor or delete it.",
            )
        if number > 1:
            previous_start, previous_end = times[number - 2]
            if start < previous_start:
                problem = f"cue {number} starts before cue {number - 1}; cues must be in time order"
            elif start < previous_end:
                problem = (
                    f"cues {number - 1} and {number} overlap (cue {number - 1} ends at "
                    f"{format_timecode(previous_end / 1000)}, cue {number} starts at "
                    f"{format_timecode(start / 1000)})"
                )
            else:
                continue
            raise SubtitleExportError(
                problem, path=path, fix="Fix the timing of these cues, then export again."
            )
    return times


def _srt_vtt(cues: Iterable[tuple[int, int, str, str]], vtt: bool) -> str:
    separator = "." if vtt else ","
    parts = ["WEBVTT\n\n"] if vtt else []
    for number, (start, end, text, speaker) in enumerate(cues, start=1):
        body = text
        if vtt:
            body = html.escape(text, quote=False)
            if speaker:
                body = f"<v {html.escape(speaker, quote=False)}>{body}"
        parts.append(
            f"{number}\n{format_timecode(start / 1000, separator)} --> "
            f"{format_timecode(end / 1000, separator)}\n{body}\n\n"
        )
    return "".join(parts)


def _ass(cues: Iterable[tuple[int, int, str, str]]) -> str:
    subs = pysubs2.SSAFile()
    for start, end, text, speaker in cues:
        event = pysubs2.SSAEvent(start=start, end=end, name=speaker)
        # ASS has no escape for braces: they would start an override block and hide the text.
        event.plaintext = text.replace("{", "(").replace("}", ")")
        subs.append(event)
    return subs.to_string("ass")


def export_subtitles(
    segments: Sequence[Segment],
    path: str | Path,
    *,
    text_field: TextField = "translated_text",
    speaker_names: Mapping[str, str] | None = None,
    format: SubtitleFormat | None = None,
) -> int:
    """Write the segments' `text_field` as SRT/VTT/ASS (from the suffix unless `format` is given).

    Segments whose text is empty are left out (they have nothing to show). With `speaker_names`
    (speaker id → display name) the speaker becomes the ASS actor or a WebVTT voice tag. Raises
    SubtitleExportError for unsorted, overlapping or zero-length cues. Returns the number of cues.
    """
    target = Path(path)
    kind = _format_for(target, format)
    if text_field not in ("original_text", "translated_text", "tts_text"):
        raise ValueError(f"unknown text field {text_field!r}")
    shown = [s for s in segments if getattr(s, text_field).strip()]
    times = _cue_times_ms(shown, target)
    names = speaker_names or {}
    cues = [
        (start, end, "\n".join(line.strip() for line in getattr(s, text_field).strip().splitlines()),
         names.get(s.speaker_id, ""))
        for s, (start, end) in zip(shown, times, strict=True)
    ]
    text = _ass(cues) if kind == "ass" else _srt_vtt(cues, vtt=kind == "vtt")
    try:
        atomic_write_bytes(target, text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"the subtitles could not be written ({exc.strerror})", path=target,
                        fix="Choose a folder you can write to.") from None
    return len(cues)


# ---------------------------------------------------------------------------------------------
# import

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


_LATIN_CODE_PAGES = frozenset({
    "cp1250", "cp1257", "cp775", "cp850", "cp852", "mac_latin2", "mac_roman", "latin_1",
    *(f"iso8859_{n}" for n in (2, 3, 4, 9, 10, 13, 14, 15, 16)),
})


def decode_text(raw: bytes) -> tuple[str, str]:
    """`(text, encoding)`: BOM first, then strict UTF-8, then a detected encoding, then cp1252/latin-1."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(encoding.removesuffix("-sig"), errors="replace"), encoding
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(raw).best()
    if best is not None and best.encoding in _LATIN_CODE_PAGES:
        # Short texts decode equally well in several Latin code pages; Western European is the
        # likeliest, so cp1252 wins unless it reads clearly worse than the best guess.
        western = charset_normalizer.from_bytes(raw, cp_isolation=["cp1252"]).best()
        if western is not None and western.chaos <= best.chaos + 0.1:
            best = western
    if best is not None and best.encoding:
        return str(best).removeprefix("\ufeff"), best.encoding
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _detect_format(text: str, path: Path) -> SubtitleFormat:
    head = text.lstrip()[:2000]
    if head.startswith("WEBVTT"):
        return "vtt"
    if "[Script Info]" in head or "[Events]" in text or "[V4+ Styles]" in head:
        return "ass"
    suffix_kind = FORMATS.get(path.suffix.lower())
    return "vtt" if suffix_kind == "vtt" else "ass" if suffix_kind == "ass" and "Dialogue:" in text else "srt"


def _clean_text(lines: list[str], vtt: bool) -> tuple[str, str]:
    """Cue text without markup, and the speaker from a WebVTT voice tag."""
    joined = "\n".join(lines)
    speaker = ""
    if vtt:
        voice = _VOICE.search(joined)
        if voice:
            speaker = voice.group(1).strip()
    text = _TAG.sub("", joined)
    if vtt:
        text = html.unescape(text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip()), speaker


def _timing(line: str) -> tuple[float, float]:
    left, _, right = line.partition("-->")
    end_text = right.strip().split()[0] if right.strip() else ""
    return parse_timecode(left), parse_timecode(end_text)


@dataclass
class _Cue:
    line: int
    start: float
    end: float
    text: str
    speaker: str


def _parse_srt_vtt(text: str, vtt: bool) -> tuple[list[_Cue], list[SubtitleProblem]]:
    lines = text.splitlines()
    cues: list[_Cue] = []
    problems: list[SubtitleProblem] = []
    i = 0
    in_garbage = False
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            in_garbage = False
            i += 1
            continue
        if vtt and (line.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")) and "-->" not in line):
            while i < len(lines) and lines[i].strip():  # a header or comment block
                i += 1
            continue
        if "-->" not in line:
            next_line = lines[i + 1] if i + 1 < len(lines) else ""
            if "-->" not in next_line and not in_garbage:
                problems.append(SubtitleProblem(i + 1, f"expected a cue, found {line[:60]!r}"))
                in_garbage = True
            i += 1  # a cue number or identifier (checked by the timing line that follows) or garbage
            continue
        in_garbage = False
        timing_line = i + 1
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() and "-->" not in lines[i]:
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if lines[i].strip().isdigit() and "-->" in following:
                break  # the next cue's number after a missing blank line
            body.append(lines[i])
            i += 1
        try:
            start, end = _timing(line)
        except ValueError as exc:
            problems.append(SubtitleProblem(timing_line, f"bad timing line: {exc}"))
            continue
        if end <= start:
            problems.append(SubtitleProblem(timing_line, "the cue ends before it starts"))
            continue
        cue_text, speaker = _clean_text(body, vtt)
        if not cue_text:
            problems.append(SubtitleProblem(timing_line, "the cue has no text"))
            continue
        cues.append(_Cue(timing_line, start, end, cue_text, speaker))
    return cues, problems


def _parse_ass(text: str) -> tuple[list[_Cue], list[SubtitleProblem]]:
    try:
        subs = pysubs2.SSAFile.from_string(text, format_="ass")
    except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError) as exc:
        return [], [SubtitleProblem(1, f"not a readable ASS file ({exc})")]
    event_lines = [
        number for number, line in enumerate(text.splitlines(), start=1)
        if line.lstrip().startswith(("Dialogue:", "Comment:"))
    ]
    cues: list[_Cue] = []
    problems: list[SubtitleProblem] = []
    for index, event in enumerate(subs.events):
        line = event_lines[index] if index < len(event_lines) else 0
        if event.is_comment:
            continue
        if event.end <= event.start or event.start < 0:
            problems.append(SubtitleProblem(line, "the cue ends before it starts"))
            continue
        cue_text = "\n".join(part.strip() for part in event.plaintext.splitlines() if part.strip())
        if not cue_text:
            problems.append(SubtitleProblem(line, "the cue has no text"))
            continue
        cues.append(_Cue(line, event.start / 1000, event.end / 1000, cue_text, event.name.strip()))
    return cues, problems


def import_subtitles(path: str | Path) -> SubtitleImport:
    """Read an SRT, WebVTT or ASS file into segments (sorted by start), plus the problems found.

    Speaker names (ASS actor, WebVTT voice) become speakers `S1`, `S2`… referenced by the segments.
    Raises UserError naming the file and the first bad line when no cue at all can be read.
    """
    source = Path(path)
    try:
        raw = source.read_bytes() if source.stat().st_size <= MAX_SUBTITLE_BYTES else None
    except FileNotFoundError:
        raise UserError("the subtitle file does not exist", path=source, fix="Check the path.") from None
    except OSError as exc:
        raise UserError(f"the subtitle file cannot be read ({exc.strerror})", path=source) from None
    if raw is None:
        raise UserError("the file is too large to be a subtitle file", path=source,
                        fix="Choose an .srt, .vtt or .ass file.")
    text, encoding = decode_text(raw)
    text = text.replace("\x00", "")
    kind = _detect_format(text, source)
    cues, problems = _parse_ass(text) if kind == "ass" else _parse_srt_vtt(text, vtt=kind == "vtt")
    if not cues:
        first = f" (first problem: {problems[0]})" if problems else ""
        raise UserError(
            f"no subtitle cue could be read from this {kind.upper()} file{first}", path=source,
            fix="Check that it is an SRT, WebVTT or ASS subtitle file.",
        )
    cues.sort(key=lambda cue: (cue.start, cue.end))
    for previous, cue in itertools.pairwise(cues):
        if cue.start < previous.end:
            problems.append(SubtitleProblem(cue.line, f"the cue overlaps the one at line {previous.line}"))
    speakers: dict[str, Speaker] = {}
    segments = []
    for cue in cues:
        speaker_id = ""
        if cue.speaker:
            if cue.speaker not in speakers:
                speakers[cue.speaker] = Speaker(id=f"S{len(speakers) + 1}", label=cue.speaker)
            speaker_id = speakers[cue.speaker].id
        segments.append(
            Segment(new_id("seg"), cue.start, cue.end, speaker_id=speaker_id, original_text=cue.text)
        )
    problems.sort(key=lambda problem: problem.line)
    return SubtitleImport(segments, list(speakers.values()), problems, encoding, kind)
