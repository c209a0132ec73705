"""A project's speakers and the user's voice library: proposals, naming, confirm and reject.

The GUI and the CLI call the same functions. Naming a speaker ("Maya") stores them in the library
with this project's embedding, gender, dub voice for the project's language, pitch setting and a
short reference clip, and links the speaker (confirmed). When voice matching runs on another
project, `propose_from_library` compares its speakers with the library: a match proposes the
person's name and voice (status "proposed"), which the user confirms — the person then learns this
project's embedding too — or rejects (the speaker gets its own name and voice back, and that person
is never proposed for it again).
"""

from __future__ import annotations

import io
from pathlib import Path

import soundfile as sf

from dubstudio.core.errors import UserError
from dubstudio.core.media import RECOGNITION_RATE, RECOGNITION_WAV
from dubstudio.core.project import Project, Speaker
from dubstudio.core.voice_library import CLIP_SECONDS, MATCH_THRESHOLD, VoiceLibrary

#: the speaker embeddings of a project come from CAM++ (diarization)
EMBEDDING_MODEL = "campplus-sv-zh-en"


def _speaker(project: Project, speaker_id: str) -> Speaker:
    speaker = next((s for s in project.speakers if speaker_id in (s.id, s.label)), None)
    if speaker is None:
        known = ", ".join(s.display_name for s in project.speakers) or "none"
        raise UserError(f"the project has no speaker '{speaker_id}'", fix=f"Speakers: {known}.")
    return speaker


def _proposed(project: Project, speaker_id: str, verb: str, fix: str) -> Speaker:
    speaker = _speaker(project, speaker_id)
    if speaker.library_status != "proposed" or not speaker.library_id:
        raise UserError(
            f"speaker {speaker.display_name} has no proposal from the voice library to {verb}", fix=fix
        )
    return speaker


def propose_from_library(
    project: Project, library: VoiceLibrary | None = None, *, threshold: float = MATCH_THRESHOLD
) -> dict[str, tuple[str, str]]:
    """Link unconfirmed speakers to the people they sound like; speaker id → (voice, why) for the
    speakers whose person has a voice for the project's language (voice matching prefers it)."""
    library = library or VoiceLibrary()
    language = project.target_language
    open_speakers = {
        s.id: s.embedding for s in project.speakers if s.embedding and s.library_status != "confirmed"
    }
    excluded = {s.id: s.library_rejected for s in project.speakers}
    matches = library.best_matches(open_speakers, EMBEDDING_MODEL, threshold=threshold, exclude=excluded)
    people = {p.id: p for p in library.people()}
    preferred: dict[str, tuple[str, str]] = {}
    for speaker in project.speakers:
        if speaker.id in open_speakers:
            match = matches.get(speaker.id)
            previous = people.get(speaker.library_id)
            if speaker.library_status == "proposed" and previous and speaker.label == previous.name:
                speaker.label = ""  # an earlier proposal's name goes with the proposal
            if match is None:
                speaker.library_id, speaker.library_status, speaker.library_similarity = "", "", None
                continue
            speaker.library_id, speaker.library_status = match.person.id, "proposed"
            speaker.library_similarity = match.similarity
            speaker.label = speaker.label or match.person.name
            if speaker.pitch_semitones is None:
                speaker.pitch_semitones = match.person.pitch_semitones
        person = people.get(speaker.library_id)
        if person is None or speaker.library_status not in ("proposed", "confirmed"):
            continue
        voice = person.voices.get(language)
        if voice:
            how = (
                f"similarity {speaker.library_similarity:.2f}, to be confirmed"
                if speaker.library_status == "proposed"
                else "confirmed"
            )
            preferred[speaker.id] = (voice, f"{person.name}'s voice in the voice library ({how})")
    return preferred


def _reference_clip(project_dir: Path, speaker: Speaker) -> tuple[bytes | None, float]:
    """The speaker's first reference clip (≤ 10 s) from the project's 16 kHz audio, as WAV bytes."""
    wav = Path(project_dir) / "audio" / RECOGNITION_WAV
    if not speaker.reference_clips or not wav.is_file():
        return None, 0.0
    span = speaker.reference_clips[0]
    end = min(span.end, span.start + CLIP_SECONDS)
    audio, rate = sf.read(wav, start=int(span.start * RECOGNITION_RATE), stop=int(end * RECOGNITION_RATE))
    out = io.BytesIO()
    sf.write(out, audio, rate, format="WAV", subtype="PCM_16")
    return out.getvalue(), round(len(audio) / rate, 2)


def remember_speaker(
    project: Project, project_dir: Path, speaker_id: str, name: str, library: VoiceLibrary | None = None
) -> str:
    """Name a speaker: store (or update) them in the library and link them, confirmed. Returns the
    person id. A name the library already has joins that person (same voice next time)."""
    library = library or VoiceLibrary()
    speaker = _speaker(project, speaker_id)
    clip, seconds = _reference_clip(project_dir, speaker)
    existing = library.find(name)
    if existing is not None:
        keep = existing.id
    elif speaker.library_status == "confirmed":
        keep = speaker.library_id  # the same person, renamed
    else:
        keep = ""
    if speaker.library_status == "proposed" and speaker.library_id not in ("", keep):
        speaker.library_rejected = [*speaker.library_rejected, speaker.library_id]  # named someone else
    person_id = library.remember(
        name,
        person_id=keep,
        embedding=speaker.embedding,
        model=EMBEDDING_MODEL,
        gender=speaker.gender,
        language=project.target_language,
        voice=speaker.effective_voice,
        pitch_semitones=speaker.pitch_semitones,
        clip_wav=clip,
        clip_seconds=seconds,
        source=project.name,
    )
    speaker.label = name.strip()
    speaker.library_id, speaker.library_status = person_id, "confirmed"
    return person_id


def confirm_proposal(
    project: Project, project_dir: Path, speaker_id: str, library: VoiceLibrary | None = None
) -> str:
    """The proposed person is right: confirm, and let the person learn this project's voice."""
    speaker = _proposed(project, speaker_id, "confirm", "Name the speaker instead.")
    library = library or VoiceLibrary()
    return remember_speaker(
        project, project_dir, speaker.id, library.person(speaker.library_id).name, library
    )


def reject_proposal(project: Project, speaker_id: str, library: VoiceLibrary | None = None) -> Speaker:
    """The proposed person is someone else: unlink, drop their name, never propose them again here."""
    speaker = _proposed(project, speaker_id, "reject", "Nothing to do: the library proposed no one for it.")
    library = library or VoiceLibrary()
    person = next((p for p in library.people() if p.id == speaker.library_id), None)
    if person is not None and speaker.label == person.name:
        speaker.label = ""
    if person is not None and speaker.pitch_semitones == person.pitch_semitones:
        speaker.pitch_semitones = None
    speaker.library_rejected = [*speaker.library_rejected, speaker.library_id]
    speaker.library_id, speaker.library_status, speaker.library_similarity = "", "rejected", None
    return speaker
