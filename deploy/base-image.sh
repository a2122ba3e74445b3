#!/usr/bin/env bash
# Make a Debian base image for syncd from Debian's own packages, without any registry:
#   deploy/base-image.sh [TAG]        (default tag: syncd-base:bookworm)
# Debian bookworm's python3 (3.11, with venv) on a minimal root file system, built with
# mmdebstrap and loaded with `docker import`. The Dockerfile builds on it with
#   docker build --build-arg BASE_IMAGE=syncd-base:bookworm ...
# The root file system tarball is cached once per machine (SYNCD_BASE_CACHE, default
# /var/cache/syncd-image): it takes a minute or two to make, and the same packages give
# the same image. Delete the tarball to pick up Debian's newer (security) updates.
# Needs root (mmdebstrap) and a running docker daemon; DOCKER names the client.
set -euo pipefail

tag=${1:-syncd-base:bookworm}
docker=${DOCKER:-docker}
suite=bookworm
mirror=http://deb.debian.org/debian
# passwd: useradd/groupadd for the Dockerfile's non-root user (not in minbase).
packages=python3,python3-venv,ca-certificates,passwd
cache=${SYNCD_BASE_CACHE:-/var/cache/syncd-image}
# The tarball's name carries what went into it, so a changed recipe makes a new one.
recipe="$suite $mirror $packages v3"
tarball="$cache/debian-$suite-python3-$(printf '%s' "$recipe" | sha256sum | cut -c1-12).tar"

if "$docker" image inspect "$tag" >/dev/null 2>&1 \
  && [ "$("$docker" image inspect -f '{{index .Config.Labels "syncd.base.recipe"}}' "$tag")" = "$recipe" ]; then
  echo "base-image: $tag is already there"
  exit 0
fi

if [ ! -s "$tarball" ]; then
  command -v mmdebstrap >/dev/null || {
    echo "base-image: mmdebstrap is not installed (apt-get install mmdebstrap)" >&2
    exit 1
  }
  mkdir -p "$cache"
  rm -f "$cache"/debian-$suite-python3-*.tar  # earlier recipes'
  echo "base-image: building $tarball with mmdebstrap (once per machine)"
  # Documentation, manual pages and translations are left out: a service image never
  # shows them (copyright files stay); so are glibc's iconv modules, which Python (its own
  # codecs) never loads.
  trap 'rm -f "$tarball.part"' EXIT
  # merged-usr hook: /usr merged by symlinks as debootstrap does, instead of the usrmerge
  # package, which would pull in all of perl (50 MB).
  mmdebstrap --variant=minbase --format=tar --include="$packages" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
    "$suite" "$tarball.part" \
    "deb $mirror $suite main" \
    "deb $mirror $suite-updates main" \
    "deb ${mirror}-security $suite-security main"
  mv "$tarball.part" "$tarball"
  trap - EXIT
fi

echo "base-image: importing $tarball as $tag"
"$docker" import \
  --change "LABEL syncd.base.recipe=\"$recipe\"" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  "$tarball" "$tag" >/dev/null
