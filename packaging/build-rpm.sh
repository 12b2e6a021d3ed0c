#!/usr/bin/env bash
# Builds target/generate-rpm/ipvsadm-rs-VERSION-1.x86_64.rpm with
# cargo-generate-rpm (installed on first use): the dist binary, the man
# pages gzipped as rpmbuild would, and the metadata in Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo generate-rpm --version >/dev/null 2>&1; then
    cargo install --locked --quiet cargo-generate-rpm --version 0.21.1
fi
cargo build --profile dist --quiet
mkdir -p target/rpm-assets
for page in man/*.8; do
    gzip -9n < "$page" > "target/rpm-assets/$(basename "$page").gz"
done
cargo generate-rpm --profile dist
ls target/generate-rpm/*.rpm
