# Sourced by dev/setup.sh (also runs by itself: bash tests/compose/setup.sh): puts Docker
# Compose v2 into a cache folder for the compose matrix (tests/compose/test_matrix.py),
# without touching the machine's own docker-compose (v1 stays the default).
#
# Source: Debian trixie's docker-compose package, downloaded with apt through a private
# sources list, list and cache directories (the system's apt sources and state are not
# changed), then unpacked with dpkg-deb -x. Result, in
# ~/.cache/smdebug-local-test/compose-v2-<version>/:
#   bin/docker-compose                       the real binary (flavour "v2": first on PATH)
#   docker-config/cli-plugins/docker-compose the `docker compose` plugin (flavour
#                                            "v2-plugin": DOCKER_CONFIG=docker-config), a
#                                            test-only stand-in, see plugin-standin.sh
#   .complete                                written last: the folder is usable
# The version is pinned: COMPOSE_V2_DEB_VERSION (override with the environment variable).
COMPOSE_V2_DEB_VERSION="${COMPOSE_V2_DEB_VERSION:-2.26.1-4}"
COMPOSE_V2_DIR="${SMDEBUG_LOCAL_TEST_CACHE:-$HOME/.cache/smdebug-local-test}/compose-v2-$COMPOSE_V2_DEB_VERSION"
export COMPOSE_V2_DEB_VERSION COMPOSE_V2_DIR

ensure_compose_v2() {
  local dir="$COMPOSE_V2_DIR" here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if [ -f "$dir/.complete" ] && cmp -s "$here/plugin-standin.sh" "$dir/plugin-standin.sh"; then
    return 0
  fi
  printf '[setup] Docker Compose v2 (Debian trixie docker-compose %s) into %s\n' \
    "$COMPOSE_V2_DEB_VERSION" "$dir"
  local work; work="$(mktemp -d)"
  chmod 755 "$work"   # apt's _apt user downloads into it
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
  [ -f "$keyring" ] && signed=" [signed-by=$keyring]"
  echo "deb$signed http://deb.debian.org/debian trixie main" >"$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
              -o "Debug::NoLocking=1" -qq)
  apt-get "${opts[@]}" update
  (cd "$work" && apt-get "${opts[@]}" download "docker-compose=$COMPOSE_V2_DEB_VERSION" 2>&1 \
     | grep -v 'Download is performed unsandboxed' || true)
  local deb; deb="$(ls "$work"/docker-compose_*.deb 2>/dev/null | head -n1)"
  [ -n "$deb" ] || { echo "could not download docker-compose $COMPOSE_V2_DEB_VERSION from trixie" >&2; return 1; }
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/docker-config/cli-plugins"
  dpkg-deb -x "$deb" "$dir/deb"
  ln -s ../deb/usr/libexec/docker/cli-plugins/docker-compose "$dir/bin/docker-compose"
  cp "$here/plugin-standin.sh" "$dir/plugin-standin.sh"
  install -m 755 "$here/plugin-standin.sh" "$dir/docker-config/cli-plugins/docker-compose"
  rm -rf "$work"
  "$dir/bin/docker-compose" version >/dev/null
  touch "$dir/.complete"
}

ensure_compose_v2
