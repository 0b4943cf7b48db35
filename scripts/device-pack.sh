#!/usr/bin/env bash
# Packs this project for a run on the lent GPU machine (the library's `device` entry) within its 64 MiB: only the
# packages the built command line needs at run time (`npm ls --omit=dev`), everything else dropped, plus the
# MobileNet v1 backbone (6 MB packed). ResNet-50 (32 MB packed) does not fit beside node and node_modules, and
# neither does a dataset: the run makes the demo project there. Build first (npm run build:node); then run with
# carry [".device", "out"] a command such as
#   source .device/enter && node bin/dwb.js demo /tmp/demo && node bin/dwb.js train --project /tmp/demo \
#     --backbone "$DWB_EXTRA/mobilenet_v1_keras_imagenet_s8s16.onnx" --preset paper --json
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
models=${DWB_MODELS:-../shared/models}
# npm ls exits non-zero for any problem it notices in the tree (an extraneous package…); its list is still whole
keep=$( (npm ls --omit=dev --omit=optional --all --parseable 2>/dev/null || true) | sed -n 's#.*/node_modules/##p' | sort -u)
[ -n "$keep" ] || { echo "device-pack: npm ls lists no run-time package here: install the project first (npm ci)" >&2; exit 1; }
drops=()
for entry in node_modules/* node_modules/@*/*; do
  name=${entry#node_modules/}
  [[ $name == @* && $name != */* ]] && continue # a scope's folder: its packages come from the second pattern
  grep -qxF "$name" <<<"$keep" || drops+=(--drop "$name")
done
exec ../shared/device/pack "${drops[@]}" --add "$models/mobilenet_v1_keras_imagenet_s8s16.onnx"
