"""Speaker bookkeeping shared by the diarizer and the transcription stage (numpy only, no models).

Diarization labels are local to one run or one window; identity across windows and re-runs comes
from embeddings, matched here one-to-one by cosine similarity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from dubstudio.engines.base import SpeakerTurn

#: cosine similarity above which two speaker embeddings (CAM++, from several seconds of clean
#: speech) are the same person; on the pyannote sample call, different speakers stay below 0.45
SAME_SPEAKER_SIMILARITY = 0.5


def exclusive_spans(turns: Sequence[SpeakerTurn]) -> dict[str, list[tuple[float, float]]]:
    """Per speaker, the parts of their turns where nobody else is speaking."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for turn in turns:
        others = sorted(
            (o.start, o.end)
            for o in turns
            if o.speaker != turn.speaker and o.end > turn.start and o.start < turn.end
        )
        cursor = turn.start
        pieces = []
        for other_start, other_end in others:
            if other_start > cursor:
                pieces.append((cursor, min(other_start, turn.end)))
            cursor = max(cursor, other_end)
        if cursor < turn.end:
            pieces.append((cursor, turn.end))
        spans.setdefault(turn.speaker, []).extend(p for p in pieces if p[1] > p[0])
    return {speaker: sorted(pieces) for speaker, pieces in spans.items()}


def unit(vector: np.ndarray | Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float64)
    return array / max(float(np.linalg.norm(array)), 1e-12)


def match_speakers(
    new: Mapping[str, np.ndarray],
    known: Mapping[str, np.ndarray],
    threshold: float = SAME_SPEAKER_SIMILARITY,
) -> dict[str, str | None]:
    """Map each new label to a known one (or None), greedily by similarity, never two to one.

    Two labels of the same run are different people by construction, hence the one-to-one rule.
    Embeddings of different sizes (another embedding model) never match.
    """
    pairs = []
    for new_label, new_embedding in new.items():
        for known_label, known_embedding in known.items():
            if len(new_embedding) and len(new_embedding) == len(known_embedding):
                pairs.append((float(unit(new_embedding) @ unit(known_embedding)), new_label, known_label))
    mapping: dict[str, str | None] = dict.fromkeys(new)
    taken: set[str] = set()
    for similarity, new_label, known_label in sorted(pairs, reverse=True):
        if similarity < threshold:
            break
        if mapping[new_label] is None and known_label not in taken:
            mapping[new_label] = known_label
            taken.add(known_label)
    return mapping
