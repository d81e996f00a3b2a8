#!/usr/bin/env bash
# Makes a Docker engine, docker-compose, bubblewrap and hookflow's test image ready for the programs
# tests, idempotently, on a bare Debian 12 as root: installs docker.io, docker-compose, bubblewrap and
# busybox-static with apt-get when missing, starts dockerd in the background (vfs storage, no
# iptables, no bridge: what works inside this kind of machine, no systemd needed), waits for its
# socket, and builds the image `hookflow-test-busybox:latest` with `docker import` from busybox-static
# (no registry is reachable). A second run finds everything up and only checks.
set -euo pipefail

log() { printf 'docker-setup: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs packages and starts daemons)" >&2
  exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "dockerd already running"
else
  log "starting dockerd"
  mkdir -p /var/log/hookflow
  rm -f /var/run/docker.pid
  nohup dockerd --storage-driver=vfs --iptables=false --bridge=none >/var/log/hookflow/dockerd.log 2>&1 &
  for _ in $(seq 1 150); do
    if docker info >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not answer within 30 s; its log:" >&2
    tail -n 40 /var/log/hookflow/dockerd.log >&2 || true
    exit 1
  fi
fi

IMAGE=hookflow-test-busybox:latest
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE present"
else
  log "building $IMAGE with docker import (busybox-static)"
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/workspace" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh cat echo env sleep ls head dd yes true false printf test mkdir rm; do
    ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' - "$IMAGE" >/dev/null
fi
# A Python image for the programs benchmark and tests, from this machine's python3 (no registry):
# the interpreter, the libraries it links, its standard library without tests and build files.
PY_IMAGE=hookflow-test-python:latest
if docker image inspect "$PY_IMAGE" >/dev/null 2>&1; then
  log "image $PY_IMAGE present"
elif [ -x /usr/bin/python3 ]; then
  log "building $PY_IMAGE with docker import (this machine's python3)"
  pyroot="$(mktemp -d)"
  py="$(readlink -f /usr/bin/python3)"
  pylib="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
  mkdir -p "$pyroot/usr/bin" "$pyroot/tmp" "$pyroot/workspace" "$pyroot/etc" "$pyroot/bin"
  cp /bin/busybox "$pyroot/bin/busybox"
  for applet in sh cat echo env sleep ls; do ln -s busybox "$pyroot/bin/$applet"; done
  cp "$py" "$pyroot/usr/bin/python3"
  for lib in $(ldd "$py" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
    mkdir -p "$pyroot$(dirname "$lib")"
    cp -L "$lib" "$pyroot$lib"
  done
  mkdir -p "$pyroot$pylib"
  tar -C "$pylib" --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./lib2to3 --exclude='./config-*' \
    --exclude=./site-packages --exclude=./dist-packages --exclude=__pycache__ -c . | tar -C "$pyroot$pylib" -x
  echo 'root:x:0:0:root:/root:/bin/sh' >"$pyroot/etc/passwd"
  chmod 1777 "$pyroot/tmp"
  tar -C "$pyroot" -c . | docker import --change 'ENV PATH=/usr/bin:/bin' - "$PY_IMAGE" >/dev/null
  rm -rf "$pyroot"
  docker run --rm "$PY_IMAGE" python3 -c 'print("python image ok")' >/dev/null
fi

log "ready: $(docker version --format '{{.Server.Version}}') engine, $(docker-compose version --short 2>/dev/null || echo '?') compose, bwrap $(bwrap --version | awk '{print $2}')"
