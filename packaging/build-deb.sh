#!/usr/bin/env bash
# Builds target/debian/ipvsadm-rs_VERSION-1_amd64.deb and the
# ipvsadm-rs-compat package with cargo-deb (installed on first use).
# tests/package.sh checks and installs what this builds.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --locked --quiet cargo-deb --version 3.8.0
fi
cargo deb --quiet
cargo deb --quiet --no-build --variant compat
ls target/debian/*.deb
