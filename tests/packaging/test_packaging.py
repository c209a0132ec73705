"""The packaging files stay buildable: the desktop entry validates, the PyInstaller spec points at real
files, modules and distributions, and the icons are the sizes the desktop entry and the spec promise."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import importlib.util
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
ICONS = REPO / "resources" / "icons"
DESKTOP_FILE = PACKAGING / "dubstudio.desktop"
SPEC_FILE = PACKAGING / "dubstudio.spec"
ICON_SIZES = (16, 32, 64, 128, 256)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_COLOR_TYPE_RGBA = 6


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop entries
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def spec_tree() -> ast.Module:
    return ast.parse(SPEC_FILE.read_text(encoding="utf-8"), filename=str(SPEC_FILE))


def png_header(path: Path) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from the IHDR chunk, which PNG requires to come first."""
    data = path.read_bytes()[:33]
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    length, chunk_type = struct.unpack(">I4s", data[8:16])
    assert chunk_type == b"IHDR" and length == 13
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


# -- desktop entry ---------------------------------------------------------------------------------


def test_desktop_file_passes_desktop_file_validate():
    assert shutil.which("desktop-file-validate"), (
        "desktop-file-validate is missing: packaging/debian-deps.sh installs desktop-file-utils"
    )
    result = subprocess.run(
        ["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()


def test_desktop_entry_launches_dubstudio_with_files_and_its_icon():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "DubStudio"
    assert entry["GenericName"] == "Subtitle and Dubbing Editor"
    assert entry["Exec"] == "dubstudio %F"
    assert entry["Icon"] == "dubstudio"
    assert entry["Terminal"] == "false"
    categories = entry["Categories"].rstrip(";").split(";")
    assert {"AudioVideo", "Video", "AudioVideoEditing"} <= set(categories)


def test_desktop_entry_claims_only_video_types():
    mime_types = [t for t in desktop_entry()["MimeType"].split(";") if t]
    assert "video/mp4" in mime_types and "video/x-matroska" in mime_types
    assert all(t.startswith("video/") for t in mime_types)
    assert len(mime_types) == len(set(mime_types))


# -- PyInstaller spec ------------------------------------------------------------------------------


def evaluate_repo_paths(tree: ast.Module) -> dict[str, Path]:
    """Evaluate the spec's `NAME = REPO / "a" / "b"` chains with REPO = this checkout."""
    paths = {"REPO": REPO}

    def evaluate(node: ast.expr) -> Path | None:
        if isinstance(node, ast.Name):
            return paths.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = evaluate(node.left)
            if (
                left is not None
                and isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, str)
            ):
                return left / node.right.value
        return None

    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = evaluate(node.value)
            if value is not None:
                paths[node.targets[0].id] = value
    # path expressions used inline, e.g. the icon= argument
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            value = evaluate(node)
            if value is not None:
                paths[f"<expression {index}>"] = value
    return paths


def string_arguments(tree: ast.Module, function: str) -> list[str]:
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == function
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def hidden_import_literals(tree: ast.Module) -> list[str]:
    """Module names the spec lists by hand (`hiddenimports += [...]`)."""
    names = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "hiddenimports"
        ):
            for element in ast.walk(node.value):
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    names.append(element.value)
    return names


def module_is_installed(name: str) -> bool:
    """Find a (sub)module on disk without importing it: torch-heavy packages stay unimported."""
    top, *rest = name.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return False
    if not rest:
        return True
    locations = [Path(p) for p in spec.submodule_search_locations or []]
    for part in rest[:-1]:
        locations = [location / part for location in locations if (location / part).is_dir()]
    last = rest[-1]
    return any(
        (location / last).is_dir() or any(location.glob(f"{last}.*py")) or any(location.glob(f"{last}.*.so"))
        for location in locations
    )


def test_spec_is_python_and_its_paths_exist():
    tree = spec_tree()
    paths = evaluate_repo_paths(tree)
    assert paths["ENTRY_POINT"] == REPO / "dubstudio" / "__main__.py"
    assert paths["RESOURCES"] == REPO / "resources"
    missing = {name: path for name, path in paths.items() if not path.exists()}
    assert not missing, f"the spec refers to missing paths: {missing}"


def test_spec_entry_point_is_the_console_script():
    entry_points = importlib.metadata.distribution("dubstudio").entry_points
    (script,) = [ep for ep in entry_points if ep.group == "console_scripts" and ep.name == "dubstudio"]
    assert script.value == "dubstudio.__main__:main"
    assert "sys.exit(main())" in (REPO / "dubstudio" / "__main__.py").read_text(encoding="utf-8")


def test_spec_collects_only_installed_modules():
    tree = spec_tree()
    modules = string_arguments(tree, "submodules") + string_arguments(tree, "collect_data_files")
    modules += string_arguments(tree, "collect_dynamic_libs") + hidden_import_literals(tree)
    for expected in ("faster_whisper", "ctranslate2", "onnxruntime", "pyannote.audio", "argostranslate"):
        assert expected in modules
    assert any(name.startswith("TTS.") for name in modules)
    assert {"vlc", "PySide6.QtMultimedia"} <= set(modules)
    missing = [name for name in modules if not module_is_installed(name)]
    assert not missing, f"the spec names modules that are not installed: {missing}"


def test_spec_copies_metadata_of_installed_distributions():
    loop = next(node for node in ast.walk(spec_tree()) if isinstance(node, ast.For))
    distributions = [element.value for element in loop.iter.elts]
    assert "pyannote.audio" in distributions and "coqui-tts" in distributions
    for name in distributions:
        importlib.metadata.version(name)  # raises PackageNotFoundError when a name is wrong


def test_spec_excludes_test_tooling():
    excludes = next(
        node.value
        for node in spec_tree().body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "excludes"
    )
    names = {element.value for element in excludes.elts}
    assert {"tests", "pytest", "hypothesis"} <= names


# -- icons -----------------------------------------------------------------------------------------


def test_svg_icon_is_square_svg():
    root = ET.parse(ICONS / "dubstudio.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"
    assert root.get("width") == root.get("height") == "256"


@pytest.mark.parametrize("size", ICON_SIZES)
def test_png_icons_have_their_stated_size(size):
    width, height, depth, colour = png_header(ICONS / f"dubstudio-{size}.png")
    assert (width, height) == (size, size)
    assert (depth, colour) == (8, PNG_COLOR_TYPE_RGBA)


def test_render_icons_reproduces_the_committed_pngs(qapp, tmp_path):
    """The committed PNGs are renders of the committed SVG (re-run packaging/render_icons.py if not)."""
    import numpy as np
    from PySide6.QtGui import QImage

    spec = importlib.util.spec_from_file_location("render_icons", PACKAGING / "render_icons.py")
    render_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_icons)

    written = render_icons.render(out_dir=tmp_path, sizes=(64, 256))

    assert [path.name for path in written] == ["dubstudio-64.png", "dubstudio-256.png"]
    for path in written:
        fresh, committed = QImage(str(path)), QImage(str(ICONS / path.name))
        assert fresh.size() == committed.size()
        fresh_pixels = np.frombuffer(fresh.constBits(), np.uint8).astype(int)
        committed_pixels = np.frombuffer(committed.constBits(), np.uint8).astype(int)
        assert np.abs(fresh_pixels - committed_pixels).mean() < 1.0
    corner_alpha = QImage(str(written[1])).pixelColor(0, 0).alpha()
    assert corner_alpha == 0  # rounded tile: transparent outside
