#!/usr/bin/env bash
# Benchmark on demand (not part of the test suite): boots the test VM once
# and prints ipvsadm's and ipvsadm-rs's wall times and the ratios, measured
# in the same VM run. Under QEMU/TCG everything is slower than on hardware;
# the ratio is what to read.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/ensure-toolchain.sh
# The build the packages ship (the `dist` profile: LTO, one codegen unit).
cargo build --profile dist --quiet --bin ipvsadm-rs --example raw_load
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash tests/vm/testbed.sh run --timeout 1800 --memory 2048 --ipvsadm-rs target/dist/ipvsadm-rs --file target/dist/examples/raw_load tests/bench/payload.sh "$out" >&2
cat "$out/stdout"
cat "$out/stderr" >&2
