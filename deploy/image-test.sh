#!/usr/bin/env bash
# Build the container image and test the image itself (`make image-test`, run by CI after
# `make test`). Needs root and only the package registries (Debian's, PyPI):
#  1. installs docker.io, mmdebstrap and docker-compose with apt-get when missing;
#  2. starts dockerd in the background when no daemon answers, and stops it (by its PID)
#     on the way out;
#  3. makes the Debian base image (deploy/base-image.sh; its tarball is cached per machine)
#     and builds the image on it with `make image` (wheelhouse, then an offline build);
#  4. checks docker-compose.yml with `docker-compose config`;
#  5. runs tests/image (the image's behaviour, see there) against the built image;
#  6. prints the image's size and how long each step took.
# Any failure stops the script with a non-zero exit and says what failed.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-syncd:image-test}
BASE_IMAGE=${BASE_IMAGE:-syncd-base:bookworm}
# Debian's client: it drives the daemon's built-in BuildKit without a buildx plugin.
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER
SIZE_AIM_MB=200

say() { printf 'image-test: %s\n' "$*"; }
fail() {
  printf 'image-test: FAILED: %s\n' "$*" >&2
  exit 1
}
clock() { date +%s; }
started=$(clock)
timings=()
step() { timings+=("$(printf '%-34s %4ds' "$1" "$(($(clock) - $2))")"); }

# -- 1. tools ---------------------------------------------------------------------------
missing=()
[ -x /usr/bin/docker ] && command -v dockerd >/dev/null || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
  say "installing ${missing[*]} with apt-get"
  t=$(clock)
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  step "apt-get install ${missing[*]}" "$t"
fi
[ -x "$DOCKER" ] || fail "docker client $DOCKER not found"
bash .ci/ensure-postgres  # the replica test shares a real PostgreSQL

# -- 2. the daemon ----------------------------------------------------------------------
dockerd_pid=""
workdir=$(mktemp -d)
cleanup() {
  if [ -n "$dockerd_pid" ]; then
    say "stopping the dockerd this script started (pid $dockerd_pid)"
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
if ! "$DOCKER" info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || fail "no docker daemon answers and dockerd is not installed"
  [ "$(id -u)" -eq 0 ] || fail "no docker daemon answers; starting one needs root"
  say "starting dockerd (log: $workdir/dockerd.log)"
  # No iptables and no default bridge: the build runs with --network=none and the
  # containers with the host's network, so neither is needed (nor always permitted).
  dockerd --iptables=false --bridge=none >"$workdir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 "$workdir/dockerd.log" >&2; fail "dockerd exited"; }
    sleep 0.5
  done
  "$DOCKER" info >/dev/null 2>&1 || { tail -20 "$workdir/dockerd.log" >&2; fail "dockerd did not answer within 60 s"; }
fi

# -- 3. base and image ------------------------------------------------------------------
t=$(clock)
bash deploy/base-image.sh "$BASE_IMAGE" || fail "could not make the base image $BASE_IMAGE"
step "base image (cached per machine)" "$t"
t=$(clock)
make --no-print-directory image BASE_IMAGE="$BASE_IMAGE" IMAGE="$IMAGE" DOCKER="$DOCKER" \
  >"$workdir/build.log" 2>&1 || { tail -40 "$workdir/build.log" >&2; fail "make image"; }
step "make image (wheelhouse + build)" "$t"

# -- 4. compose file --------------------------------------------------------------------
# The env files and the policy are the operator's own (git-ignored): use the examples.
t=$(clock)
mkdir -p "$workdir/compose/deploy"
cp docker-compose.yml "$workdir/compose/"
cp deploy/syncd.env.example "$workdir/compose/deploy/syncd.env"
cp deploy/postgres.env.example "$workdir/compose/deploy/postgres.env"
cp config/examples/jira.yaml "$workdir/compose/policy.yaml"
(cd "$workdir/compose" && docker-compose config --quiet) || fail "docker-compose config rejects docker-compose.yml"
step "docker-compose config" "$t"

# -- 5. the image's behaviour -----------------------------------------------------------
t=$(clock)
SYNCD_IMAGE="$IMAGE" .venv/bin/pytest tests/image -p no:cacheprovider -q -rA \
  || fail "the image misbehaves (tests/image above)"
step "tests/image" "$t"

# -- 6. numbers -------------------------------------------------------------------------
bytes=$("$DOCKER" image inspect --format '{{.Size}}' "$IMAGE")
mb=$((bytes / 1000 / 1000))
say "image $IMAGE on $BASE_IMAGE: $mb MB (aim: under $SIZE_AIM_MB MB)"
for line in "${timings[@]}"; do say "  $line"; done
say "total $(($(clock) - started))s"
