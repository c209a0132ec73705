#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages DubStudio needs at run and test time. Idempotent: when every
# package is already installed it does nothing (no apt-get update, no sudo prompt).
set -euo pipefail

PACKAGES=(
  ffmpeg espeak-ng sox
  apertium apertium-eng-spa apertium-eng-cat apertium-fr-es apertium-es-pt apertium-es-it
  libvlc5 vlc-plugin-base vlc-plugin-video-output
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxkbcommon-x11-0 libxcb-xinerama0 libxcb-shape0 libxcb-randr0 libxcb-xkb1 libegl1 libgl1
  libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
  python3-venv desktop-file-utils
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "DubStudio needs these system packages, and this is not a Debian/Ubuntu system:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install their equivalents with your package manager, then run make again." >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
  echo "Installing system packages with sudo: ${missing[*]}"
else
  echo "DubStudio needs these system packages: ${missing[*]}" >&2
  echo "Run as root: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
