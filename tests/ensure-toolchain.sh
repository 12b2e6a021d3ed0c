#!/usr/bin/env bash
# Sourced by the demo and the test runner: make sure a Rust toolchain (1.89
# or newer) and the C linker are there, installing them on a fresh Debian or
# Ubuntu machine (apt for the compiler, rustup for Rust).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v cc >/dev/null || ! command -v curl >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential curl ca-certificates
fi
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
    echo "installing Rust with rustup (https://rustup.rs)" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt >&2
    export PATH="$HOME/.cargo/bin:$PATH"
fi
