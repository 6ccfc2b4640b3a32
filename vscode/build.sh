#!/usr/bin/env bash
# Builds the smdebug-local VS Code extension with its npm scripts: npm ci (only when
# package-lock.json changed), `npm run build` (TypeScript), the unit tests (`npm test`: node's
# test runner; log in out/unit-tests.log) and `npm run package` (@vscode/vsce) into
# dist/smdebug-local.vsix, with smdebug_local/__init__.py's __version__ as its version. Needs the Node of package.json's engines.node on PATH, or the one
# tests/vscode/setup.sh installs (found by itself). Install the result with
#   code --install-extension vscode/dist/smdebug-local.vsix
# Options: --no-test (skip the unit tests).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
# shellcheck source=../tests/vscode/versions.env
. "$here/../tests/vscode/versions.env"
cached_node=${SMDEBUG_LOCAL_TEST_CACHE:-$HOME/.cache/smdebug-local-test}/code-server-$CODE_SERVER_VERSION/node/bin
if [ -x "$cached_node/node" ]; then
    export PATH=$cached_node:$PATH
fi
if ! command -v node > /dev/null; then
    echo "vscode/build.sh: error: no node on PATH; run \`bash tests/vscode/setup.sh\` or install Node (package.json's engines.node)" >&2
    exit 1
fi
node scripts/check-node.js
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
step() { printf 'vscode extension: %-8s %s\n' "$1" "$2"; }

lock=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock" ]; then
    start=$SECONDS
    npm ci --silent
    echo "$lock" > node_modules/.lock-hash
    step npm "installed build tools in $((SECONDS - start)) s"
fi
npm run --silent build
step tsc "compiled"
# --ignore-scripts: only the script itself, not its pre-script's second build.
if [ "${1:-}" != "--no-test" ]; then
    npm test --silent --ignore-scripts > out/unit-tests.log 2>&1 || { cat out/unit-tests.log >&2; step test "FAILED"; exit 1; }
    step test "$(grep -E '^ℹ (pass|fail) ' out/unit-tests.log | tr '\n' ' ')"
fi
npm run --silent package --ignore-scripts > out/vsce.log 2>&1 || { cat out/vsce.log >&2; exit 1; }
step vsix "$here/dist/smdebug-local.vsix"
