"""Build tiny but real argostranslate packages offline, for tests of the real translate code path.

No translation weights can be downloaded here, so each package holds a SentencePiece model trained
on a few hundred lines of real text and a 1-layer CTranslate2 Transformer with random weights:
the output is gibberish, but every step argostranslate takes (package discovery, tokenizing,
CTranslate2 decoding, detokenizing, pivoting through a composed pair) is the real one.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

D_MODEL, FFN, HEADS, VOCAB = 16, 32, 2, 80

TRAINING_TEXT = (
    "They are coming to get you, Barbara. Stop it, you are ignorant. "
    "You used to be afraid of this place when we were children. "
    "The radio says the whole country is in trouble tonight. "
    "We will be safe in the cellar if we stay together. "
    "Hola, bienvenido a la nueva sede. Vienen a por ti, Barbara. "
    "La radio dice que todo el país tiene problemas esta noche. "
    "Wir sind im Keller sicher, wenn wir zusammenbleiben. "
)


def _train_sentencepiece(folder: Path) -> list[str]:
    import sentencepiece

    lines = [f"{sentence.strip()}." for sentence in TRAINING_TEXT.split(".") if sentence.strip()] * 40
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "sentencepiece"),
        vocab_size=VOCAB,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    corpus.unlink()
    (folder / "sentencepiece.vocab").unlink()
    processor = sentencepiece.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _fill(layer, rng: np.random.Generator, rows: int, columns: int) -> None:
    layer.weight = rng.normal(0, 0.3, (rows, columns)).astype(np.float32)
    layer.bias = np.zeros(rows, np.float32)


def _norm(layer_norm) -> None:
    layer_norm.gamma = np.ones(D_MODEL, np.float32)
    layer_norm.beta = np.zeros(D_MODEL, np.float32)


def _save_random_transformer(folder: Path, vocabulary: list[str], seed: int) -> None:
    from ctranslate2.specs import TransformerSpec

    rng = np.random.default_rng(seed)
    spec = TransformerSpec.from_config(num_layers=1, num_heads=HEADS)
    for stack in (spec.encoder, spec.decoder):
        _norm(stack.layer_norm)
        for layer in stack.layer:
            _norm(layer.self_attention.layer_norm)
            _fill(layer.self_attention.linear[0], rng, 3 * D_MODEL, D_MODEL)
            _fill(layer.self_attention.linear[1], rng, D_MODEL, D_MODEL)
            _norm(layer.ffn.layer_norm)
            _fill(layer.ffn.linear_0, rng, FFN, D_MODEL)
            _fill(layer.ffn.linear_1, rng, D_MODEL, FFN)
            if hasattr(layer, "attention"):
                _norm(layer.attention.layer_norm)
                _fill(layer.attention.linear[0], rng, D_MODEL, D_MODEL)
                _fill(layer.attention.linear[1], rng, 2 * D_MODEL, D_MODEL)
                _fill(layer.attention.linear[2], rng, D_MODEL, D_MODEL)
    spec.encoder.embeddings[0].weight = rng.normal(0, 0.3, (len(vocabulary), D_MODEL)).astype(np.float32)
    spec.decoder.embeddings.weight = rng.normal(0, 0.3, (len(vocabulary), D_MODEL)).astype(np.float32)
    _fill(spec.decoder.projection, rng, len(vocabulary), D_MODEL)
    # make the end token likely enough that decoding stops after a few tokens
    spec.decoder.projection.bias[vocabulary.index("</s>")] = 2.0
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize()
    (folder / "model").mkdir()
    spec.save(str(folder / "model"))


LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German"}


def build_package(packages_dir: Path, source: str, target: str, seed: int = 0) -> Path:
    """An installed-package directory `<packages_dir>/tiny_<source>_<target>` like argospm makes."""
    folder = packages_dir / f"tiny_{source}_{target}"
    folder.mkdir(parents=True)
    vocabulary = _train_sentencepiece(folder)
    _save_random_transformer(folder, vocabulary, seed)
    metadata = {
        "package_version": "0.1",
        "argos_version": "1.11",
        "from_code": source,
        "from_name": LANGUAGE_NAMES[source],
        "to_code": target,
        "to_name": LANGUAGE_NAMES[target],
        "type": "translate",
    }
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *_args) -> None:
        pass


@contextmanager
def argos_index_server(folder: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving an Argos-style `index.json` and one tiny en→es
    `.argosmodel` (the network stand-in for the Argos package index); yields its base URL.

    The index also lists an older en→es package whose only link is dead, and the newer one's first
    link is dead too: the installer must take the newest package and fall through to a live link.
    """
    root = folder / "www"
    root.mkdir(parents=True)
    package = build_package(folder / "build", "en", "es", seed=3)
    archive = shutil.make_archive(str(root / "translate-en_es-0_1"), "zip", package.parent, package.name)
    Path(archive).rename(root / "translate-en_es-0_1.argosmodel")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    index = [
        {"from_code": "en", "to_code": "es", "package_version": "0.0.9", "type": "translate",
         "links": [f"{base}/gone.argosmodel"]},
        {"from_code": "en", "to_code": "es", "package_version": "0.1", "type": "translate",
         "from_name": "English", "to_name": "Spanish",
         "links": [f"{base}/missing.argosmodel", f"{base}/translate-en_es-0_1.argosmodel"]},
    ]  # fmt: skip
    (root / "index.json").write_text(json.dumps(index), encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def isolated_argos_env(folder: Path, index_base: str) -> dict[str, str]:
    """Environment for a child Python whose DubStudio and argostranslate data live in `folder`."""
    return {
        **os.environ,
        "DUBSTUDIO_ARGOS_INDEX": f"{index_base}/index.json",
        "DUBSTUDIO_DATA_DIR": str(folder / "data"),
        "DUBSTUDIO_DOWNLOAD_CACHE": str(folder / "downloads"),
        "ARGOS_PACKAGES_DIR": str(folder / "argos-packages"),
        "XDG_DATA_HOME": str(folder / "xdg-data"),
        "XDG_CONFIG_HOME": str(folder / "xdg-config"),
        "XDG_CACHE_HOME": str(folder / "xdg-cache"),
    }
