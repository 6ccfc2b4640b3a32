# Sourced by dev/test and dev/quickstart: makes a fresh machine ready, idempotently.
#   - a Docker engine that answers (Debian's docker.io started in the background if none),
#     docker-compose, debootstrap (to build the test images without Docker Hub) and
#     docker-registry (a registry on loopback that compose pulls from in a test);
#   - .venv with smdebug-local installed in editable mode, SDK 2.x, and the test dependencies;
#   - the debugpy builds containers load (smdebug-local prefetch);
#   - one small virtualenv (pytest only) per host Python 3.8-3.13 the payload tests run on;
#   - Docker Compose v2 in a cache folder (tests/compose/setup.sh), v1 stays the default.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '[setup] %s\n' "$*"; }

apt_install() {
  say "apt-get install $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_docker() {
  local missing=()
  command -v dockerd >/dev/null || docker info >/dev/null 2>&1 || missing+=(docker.io)
  { docker compose version 2>/dev/null | grep -q v2; } || command -v docker-compose >/dev/null \
    || missing+=(docker-compose)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker-registry >/dev/null || missing+=(docker-registry)  # tests/e2e/test_environment.py
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: /tmp/smdebug-local-dockerd.log)"
    as_root sh -c 'nohup dockerd >/tmp/smdebug-local-dockerd.log 2>&1 &'
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/smdebug-local-dockerd.log" >&2; exit 1; }
  fi
}

ensure_venv() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  say "installing smdebug-local and test dependencies into .venv"
  # The project venv tests SDK 2.x; the SDK 3.x tests make their own venv (tests/e2e/conftest.py).
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' \
    'sagemaker[local]>=2.200,<3'
  .venv/bin/smdebug-local prefetch
}

# The in-container payload promises Python 3.8+ and the standard library only: its tests
# run under each real interpreter of pyenv (tests/integration/test_payload_pythons.py).
PAYLOAD_PYTHONS="3.8 3.9 3.10 3.11 3.12 3.13"
ensure_payload_venvs() {
  local root; root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for minor in $PAYLOAD_PYTHONS; do
    local venv=".venv-payload/$minor"
    [ -x "$venv/bin/pytest" ] && continue
    local python; python="$(ls -d "$root"/versions/"$minor".*/bin/python 2>/dev/null | sort -V | tail -n1)"
    if [ -z "$python" ]; then
      say "no Python $minor under $root/versions; its payload test will fail (pyenv install $minor)"
      continue
    fi
    say "payload test venv for Python $minor"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check pytest
  done
}

ensure_docker
# Docker Compose v2 (standalone and plugin) for the compose matrix, beside the machine's own.
source "$REPO/tests/compose/setup.sh"
ensure_venv
ensure_payload_venvs
