"""The voice column's tooltip: which voice speaks the cue and why (the reason voice matching gave,
the user's choice, or the voice library's person), and how the take was fitted."""

from __future__ import annotations

from dubstudio.core.project import Project, Segment


def voice_tooltip(project: Project, segment: Segment) -> str:
    speaker = project.speaker(segment.speaker_id)
    voice = project.voice_for(segment)
    lines = [f"<b>{voice or 'no voice'}</b>"]
    if segment.voice_override:
        lines.append("Chosen by you for this cue.")
    elif speaker is not None and speaker.voice_override:
        lines.append(f"Chosen by you for {speaker.display_name}.")
    elif speaker is not None and speaker.voice_reason:
        head, _, rest = speaker.voice_reason.partition(": ")
        lines.append(f"Why: {rest or head}.")
    if speaker is not None:
        who = f"Speaker {speaker.id}" + (f" ({speaker.label})" if speaker.label else "")
        if speaker.library_status == "proposed":
            who += f": sounds like {speaker.label} of the voice library — confirm in Tools → Voices"
        elif speaker.library_status == "confirmed":
            who += ": in the voice library"
        lines.append(who)
        if speaker.gender_evidence and speaker.gender_evidence not in speaker.voice_reason:
            lines.append(f"Sounds {speaker.gender}: {speaker.gender_evidence}.")
    clip = segment.clip
    if clip is not None:
        steps = []
        if clip.pauses_cut > 0.005:
            steps.append(f"pauses shortened by {clip.pauses_cut:.2f} s")
        if clip.lead > 0.005:
            steps.append(f"starts {clip.lead:.2f} s before the cue, in free time")
        if clip.borrowed > 0.005:
            steps.append(f"{clip.borrowed:.2f} s of the pause after the cue used")
        steps.append(f"speed ×{clip.speed:.2f}")
        lines.append("Take: " + ", ".join(steps))
    return "<br>".join(lines)
