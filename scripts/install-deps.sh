#!/usr/bin/env bash
# Installs what drydock's tests and demo need on a Debian machine: the CNCF Distribution registry
# (real registry for tests), skopeo (copies test images into it and into archives), zstd, and
# the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  docker-registry skopeo zstd apache2-utils openssl
  # oracles for the catalogers: real package databases and the tools that list them
  debootstrap rpm db5.3-util gnupg ruby python3-requests python3-setuptools python3-pip
  libcommons-lang3-java golang-go unzip openjdk-17-jdk-headless
  # the benchmark: zip builds its war, time measures peak memory
  zip time
  # oracles for the version schemes, and for CVSS v2/v3 scores
  python3-packaging libmaven3-core-java libdpkg-perl ruby-cvss-suite
  # the evaluate report checks: the seeds' jq filter, anchore-cli's table library
  jq python3-prettytable
  # the real anchore-cli, run unmodified against the engine by test/anchore-cli.test.ts
  python3-click python3-prettytable python3-requests python3-yaml python3-dateutil
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "drydock: please install these Debian packages (as root): ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package may start a registry service on :5000; tests start their own on free ports.
if [ -d /run/systemd/system ]; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
