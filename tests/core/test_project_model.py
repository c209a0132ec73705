"""The project model round-trips losslessly and rejects malformed documents with a JSON path."""

from __future__ import annotations

import json

import pytest

from dubstudio.core.project import (
    DubClip,
    GlossaryEntry,
    MediaInfo,
    Project,
    Segment,
    Settings,
    Speaker,
    TimeSpan,
    ValidationIssue,
    Word,
)
from dubstudio.core.schema import SchemaError, from_dict, to_dict


def full_project() -> Project:
    words = [Word(0.52, 0.9, "Hello,", 0.98), Word(0.95, 1.4, "welcome", 0.91)]
    clip = DubClip("clips/seg-1/abc.wav", 0.52, 3.0, "kokoro:jf_alpha", "kokoro", "Hola, bienvenido", 1.1,
                   1.1, 1.0, 2.7, 0.0, "abc")
    segment = Segment(
        id="seg-1", start=0.52, end=3.10, speaker_id="S1", original_text="Hello, welcome",
        words=words, confidence=0.93, needs_review=True, review_reasons=["fast speech"],
        translated_text="Hola, bienvenido", tts_text="Hola, bienvenido", tts_language="es",
        voice_id="kokoro:jf_alpha", voice_override="", emotion="friendly", clip=clip, clip_history=[clip],
        issues=[ValidationIssue("seg-1", "length_overflow", "too long", "warning", "translation", "open",
                                "shorten", 1.3)],
        stale=["synthesis"],
    )
    speaker = Speaker("S1", "Anna", "female", 211.5, [0.1, -0.2], [TimeSpan(0.5, 3.0)], "kokoro:jf_alpha",
                      "", "informal")
    return Project(
        name="demo", source_language="en", target_language="es", subtitle_language="en",
        media=MediaInfo("/videos/demo.mp4", 42.0, True, True, 48000, 2, "aac", "h264", 1280, 720, 25.0),
        speakers=[speaker], segments=[segment],
        settings=Settings(glossary=[GlossaryEntry("DubStudio", "")]),
    )


def test_round_trip_is_lossless_through_json_text():
    project = full_project()
    text = json.dumps(to_dict(project))
    assert from_dict(Project, json.loads(text)) == project


def test_keys_follow_the_pipeline_contract_names():
    segment = to_dict(full_project())["segments"][0]
    for key in ("start", "speakerId", "originalText", "translatedText", "ttsText",
                "ttsLanguage", "voiceId", "needsReview", "confidence"):
        assert key in segment
    assert to_dict(full_project())["segments"][0]["issues"][0]["subtitleId"] == "seg-1"


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["segments"][0].__setitem__("start", "abc"), "segments[0].start"),
        (lambda d: d["segments"][0].__setitem__("end", 1e308), "segments[0].end"),
        (
            lambda d: d["segments"][0]["words"][1].__setitem__("probability", True),
            "segments[0].words[1].probability",
        ),
        (lambda d: d["speakers"][0].__setitem__("gender", "robot"), "speakers[0].gender"),
        (lambda d: d["segments"][0].__setitem__("evil", 1), "segments[0]"),
        (lambda d: d["segments"][0].pop("id"), "segments[0].id"),
        (lambda d: d["settings"].__setitem__("maxSpeed", 3.0), "settings"),
        (lambda d: d["segments"][0].__setitem__("start", 5.0), "segments[0]"),
    ],
)
def test_malformed_documents_name_the_field(mutate, where):
    data = to_dict(full_project())
    mutate(data)
    with pytest.raises(SchemaError) as info:
        from_dict(Project, data)
    assert info.value.where == where


def test_voice_precedence_segment_then_speaker_then_matched():
    project = full_project()
    segment = project.segments[0]
    assert project.voice_for(segment) == "kokoro:jf_alpha"
    project.speakers[0].voice_override = "espeak:es+f3"
    assert project.voice_for(segment) == "espeak:es+f3"
    segment.voice_override = "kokoro:jm_kumo"
    assert project.voice_for(segment) == "kokoro:jm_kumo"


def test_mark_stale_covers_every_later_stage():
    project = full_project()
    segment = project.segments[0]
    segment.stale = []
    project.mark_stale(segment, "translation")
    assert segment.stale == ["translation", "voiceMatching", "synthesis", "validation"]
