# Sourced by dev/test and dev/quickstart: makes a fresh machine ready, idempotently.
# What a user needs (SMDEBUG_LOCAL_SETUP=user; dev/quickstart runs these steps itself):
#   - a Docker engine that answers (Debian's docker.io started in the background if none),
#     docker-compose, and debootstrap (the example's image is built without Docker Hub);
#   - .venv with smdebug-local installed in editable mode and SDK 2.x;
#   - the debugpy builds containers load (smdebug-local prefetch).
# The test tooling on top (the default, dev/test):
#   - docker-registry (a registry on loopback that compose pulls from in a test);
#   - the test dependencies in .venv;
#   - one small virtualenv (pytest only) per host Python 3.8-3.13 the payload tests run on;
#   - Docker Compose v2 in a cache folder (tests/compose/setup.sh), v1 stays the default.
set -euo pipefail
SMDEBUG_LOCAL_SETUP="${SMDEBUG_LOCAL_SETUP:-test}"
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
  if [ "$SMDEBUG_LOCAL_SETUP" = test ]; then
    command -v docker-registry >/dev/null || missing+=(docker-registry)  # tests/e2e/test_environment.py
  fi
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
  local target=.
  if [ "$SMDEBUG_LOCAL_SETUP" = test ]; then
    target='.[test]'
    say "installing smdebug-local and test dependencies into .venv"
  else
    say "installing smdebug-local and the SageMaker SDK into .venv (about a minute)"
  fi
  # The project venv tests SDK 2.x; the SDK 3.x tests make their own venv (tests/e2e/conftest.py).
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$target" \
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

case "$SMDEBUG_LOCAL_SETUP" in
  test)
    ensure_docker
    # Docker Compose v2 (standalone and plugin) for the compose matrix, beside the machine's own.
    source "$REPO/tests/compose/setup.sh"
    ensure_venv
    ensure_payload_venvs ;;
  user) ensure_docker; ensure_venv ;;
  functions) ;;  # the caller orders the steps (dev/quickstart overlaps them with a build)
  *) echo "SMDEBUG_LOCAL_SETUP=$SMDEBUG_LOCAL_SETUP: expected test, user or functions" >&2; exit 2 ;;
esac
