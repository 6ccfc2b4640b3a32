#!/usr/bin/env bash
# Builds the smdebug-local VS Code extension: npm ci (only when package-lock.json changed),
# TypeScript, the unit tests (node's test runner), and the package dist/smdebug-local.vsix
# (@vscode/vsce). Needs Node >= 22 on PATH, or the one tests/vscode/setup.sh installs
# (found by itself). Install the result with
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
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
    echo "vscode/build.sh: error: Node >= 22 is needed (found: $(node --version 2>/dev/null || echo none)); run \`bash tests/vscode/setup.sh\` or install Node 22+" >&2
    exit 1
fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
step() { printf 'vscode extension: %-8s %s\n' "$1" "$2"; }

lock=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock" ]; then
    start=$SECONDS
    npm ci --silent
    echo "$lock" > node_modules/.lock-hash
    step npm "installed build tools in $((SECONDS - start)) s"
fi
rm -rf out
node_modules/.bin/tsc -p .
step tsc "compiled"
if [ "${1:-}" != "--no-test" ]; then
    node --test 'out/test/*.test.js' > out/unit-tests.log 2>&1 || { cat out/unit-tests.log >&2; step test "FAILED"; exit 1; }
    step test "$(grep -E '^ℹ (pass|fail) ' out/unit-tests.log | tr '\n' ' ')"
fi
mkdir -p dist
node_modules/.bin/vsce package --no-dependencies --allow-missing-repository --skip-license \
    -o dist/smdebug-local.vsix > out/vsce.log 2>&1 || { cat out/vsce.log >&2; exit 1; }
step vsix "$here/dist/smdebug-local.vsix"
