"""Synthesis bench: slot fit share, round-trip intelligibility, warm re-synthesis time.

Slots come from an English Kokoro reading of 20 English originals (trimmed, 0.4 s gaps between
cues); the Spanish translations are synthesized into those slots with Kokoro at max speed 1.25,
then transcribed back with faster-whisper (whisper-base, int8, CPU, language "es") and scored
with WER against tts_text. Run: `.venv/bin/python bench/synthesis.py` (prints one summary).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import jiwer
import soundfile as sf

from dubstudio.core.dsp import resample, trim_silence
from dubstudio.core.project import Project, Segment, Settings, Speaker
from dubstudio.engines.base import SynthesisRequest
from dubstudio.engines.kokoro import KokoroSynthesizer
from dubstudio.models.paths import model_dir
from dubstudio.stages.synthesis import synthesize_segments

PAIRS = [
    ("Hello, welcome to the new headquarters.", "Hola, bienvenidos a la nueva sede."),
    ("Thank you for coming on such short notice.", "Gracias por venir con tan poco aviso."),
    ("We have a lot of work to do this week.", "Tenemos mucho trabajo que hacer esta semana."),
    ("Can you send me the report before lunch?", "¿Puedes enviarme el informe antes de comer?"),
    ("The meeting starts at nine o'clock sharp.", "La reunión empieza a las nueve en punto."),
    ("I don't think that's a good idea.", "No creo que sea una buena idea."),
    ("Let's take a short break and come back later.", "Hagamos una pausa y volvamos más tarde."),
    ("Where did you put the keys to the car?", "¿Dónde pusiste las llaves del coche?"),
    ("The weather is beautiful today.", "Hoy hace un tiempo precioso."),
    ("She has been working here for ten years.", "Ella lleva diez años trabajando aquí."),
    ("We need to finish this project by Friday.", "Tenemos que terminar este proyecto antes del viernes."),
    ("My brother lives in a small town near the coast.", "Mi hermano vive en un pueblo cerca de la costa."),
    ("Please turn off your phones during the show.", "Por favor, apaguen sus móviles durante la función."),
    ("I'm sorry, I didn't hear what you said.", "Lo siento, no oí lo que dijiste."),
    ("The train leaves in twenty minutes.", "El tren sale en veinte minutos."),
    ("This is the best coffee I have ever had.", "Este es el mejor café que he probado nunca."),
    ("Do you want to have dinner with us tonight?", "¿Quieres cenar con nosotros esta noche?"),
    ("The children are playing in the garden.", "Los niños están jugando en el jardín."),
    ("We will talk about it tomorrow morning.", "Hablaremos de ello mañana por la mañana."),
    (
        "Our company was founded more than fifty years ago in a small garage.",
        "Nuestra empresa se fundó hace más de cincuenta años en un pequeño garaje.",
    ),
]
GAP = 0.4
#: the re-synthesis cue: a 5 s slot, and a sentence Kokoro speaks in 4.9 s (5.8 s with its pauses)
RESYNTH_SLOT = 5.0
RESYNTH_TEXT = "Mañana revisaremos juntos el presupuesto y decidiremos los próximos pasos."


def main() -> None:
    kokoro = KokoroSynthesizer()
    voice = next(v for v in kokoro.voices() if v.name == "jf_alpha")
    engines = {kokoro.name: kokoro}
    segments, cursor = [], 0.5
    for index, (english, spanish) in enumerate(PAIRS):
        take = kokoro.synthesize(SynthesisRequest(english, voice, "en"))
        slot = len(trim_silence(take.audio, take.sample_rate)) / take.sample_rate
        segments.append(
            Segment(f"c{index:02d}", round(cursor, 3), round(cursor + slot, 3), speaker_id="a",
                    original_text=english, tts_text=spanish, tts_language="es", voice_id=voice.id)
        )  # fmt: skip
        cursor += slot + GAP
    segments.append(
        Segment("resynth", round(cursor, 3), round(cursor + RESYNTH_SLOT, 3), speaker_id="a",
                tts_text=RESYNTH_TEXT, tts_language="es", voice_id=voice.id)
    )  # fmt: skip
    project = Project("bench", target_language="es", speakers=[Speaker("a", gender="female")],
                      segments=segments, settings=Settings(max_speed=1.25))  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        project_dir = Path(folder)
        started = time.perf_counter()
        result = synthesize_segments(segments, project, engines, [voice], project_dir)
        batch_seconds = time.perf_counter() - started
        cues = result[:-1]
        within_slot = sum(1 for s in cues if s.clip.raw_duration / s.clip.speed <= s.duration + 1e-3)
        no_overflow = sum(1 for s in cues if s.clip.overflow == 0)

        from faster_whisper import WhisperModel

        whisper = WhisperModel(str(model_dir("whisper-base")), device="cpu", compute_type="int8")
        normalise = jiwer.Compose(
            [jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()]
        )
        references, hypotheses = [], []
        for segment in cues:
            audio, rate = sf.read(project_dir / segment.clip.path, dtype="float32")
            heard, _ = whisper.transcribe(resample(audio, rate, 16_000), language="es", temperature=0.0)
            references.append(normalise(segment.tts_text))
            hypotheses.append(normalise(" ".join(s.text for s in heard)))
        wer = jiwer.wer(references, hypotheses)

        timings = []
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            redone = synthesize_segments(result, project, engines, [voice], project_dir, only_ids={"resynth"},
                                         force=True)  # fmt: skip
            timings.append((time.perf_counter() - wall, time.process_time() - cpu))
        cue = redone[-1].clip
    best_wall = min(t[0] for t in timings)
    best_cpu = min(t[1] for t in timings)
    print(f"cues: {len(cues)}, batch synthesis {batch_seconds:.1f} s, load average {os.getloadavg()[0]:.1f}")
    print(f"fit within the slot at speed <= 1.25: {within_slot}/{len(cues)} = {within_slot / len(cues):.0%}")
    share = no_overflow / len(cues)
    print(f"fit without overflow (slot + borrowed silence): {no_overflow}/{len(cues)} = {share:.0%}")
    print(f"speeds: {sorted(round(s.clip.speed, 2) for s in cues)}")
    print(f"round-trip WER (whisper-base, es): {wer:.3f}")
    print(f"re-synthesize one {RESYNTH_SLOT:.0f} s cue ({cue.raw_duration:.1f} s of speech) warm: "
          f"best wall {best_wall:.2f} s, CPU {best_cpu:.2f} s (target < 1.5 s wall on 2 cores)")  # fmt: skip


if __name__ == "__main__":
    main()
