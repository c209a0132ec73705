"""`dubstudio translate` on generated subtitle files: it either writes a valid file or exits 2 with a
message naming the input; it never crashes (exit 70) or prints a traceback.

Runs the CLI entry point in-process (a child process per example would cost seconds each) with the
same language on both sides, so no translation engine runs and every example takes milliseconds:
what is fuzzed is reading, cue handling and writing.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dubstudio.cli.main import main
from dubstudio.core.subtitles import import_subtitles
from dubstudio.core.timeline import format_timecode

cue_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60).map(
    lambda text: text.replace("\r", "")
)
cues = st.lists(
    st.tuples(st.integers(0, 10_000_000), st.integers(-500, 20_000), cue_text), min_size=0, max_size=8
)


@st.composite
def subtitle_files(draw) -> bytes:
    """SRT text from cues (some with negative durations or overlaps), maybe damaged, in an encoding."""
    parts = []
    for number, (start, duration, text) in enumerate(draw(cues), start=1):
        end = start + duration
        times = f"{format_timecode(start / 1000, ',')} --> {format_timecode(max(end, 0) / 1000, ',')}"
        parts.append(f"{number}\n{times}\n{text}\n")
    body = "\n".join(parts)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    data = body.encode(encoding, errors="replace")
    damage = draw(st.sampled_from(["none", "cut", "garbage", "nul"]))
    if damage == "cut" and data:
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "garbage":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    elif damage == "nul":
        data = data.replace(b"\n", b"\x00\n", 1)
    return data


@settings(max_examples=40, deadline=None)
@given(content=subtitle_files())
def test_translate_either_writes_subtitles_or_explains(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "fuzzed.srt", Path(folder) / "out.srt"
        source.write_bytes(content)
        stderr, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            code = main(["translate", str(source), "--from", "en", "--to", "en", "-o", str(target)])
        output = stderr.getvalue() + stdout.getvalue()
        assert "Traceback" not in output and "Internal error" not in output, output
        assert code in (0, 2), output
        if code == 2:
            assert str(source) in output, output
        else:
            written = import_subtitles(target)
            assert len(written.segments) == len(import_subtitles(source).segments)
