#!/bin/sh
# TEST-ONLY STAND-IN for the `docker compose` CLI plugin (tests/compose/setup.sh installs it
# as <DOCKER_CONFIG>/cli-plugins/docker-compose). It runs Debian's real Compose v2 binary for
# everything, and changes one thing: `docker compose version` prints "version v2.26.1-4"
# (as upstream builds do) instead of Debian's "version 2.26.1-4", because SageMaker SDK 2.x
# takes `docker compose` only when that output contains "v2". Not a product file.
real="$(dirname "$0")/../../deb/usr/libexec/docker/cli-plugins/docker-compose"
if [ "$1" = compose ] && [ "$2" = version ] && [ $# -eq 2 ]; then
  out="$("$real" "$@")" || exit $?
  printf '%s\n' "$out" | sed 's/^\(Docker Compose version \)\([0-9]\)/\1v\2/'
  exit 0
fi
exec "$real" "$@"
