#!/usr/bin/env bash
# Benchmark on demand (not part of the test suite): boots the test VM once
# and prints ipvsadm's and ipvsadm-rs's wall times and the ratios, measured
# in the same VM run. Under QEMU/TCG everything is slower than on hardware;
# the ratio is what to read.
#
#   tests/bench/run.sh          restores, --replace, listings of 10,000 x 10
#   tests/bench/run.sh shapes   every listing form on every table shape,
#                               beside the plain kernel reads it is built
#                               from (SIZE, WIDE, CONNS and SHAPES pass
#                               through)
#
# IPVSADM_RS_VM_KERNEL picks the kernel (tests/vm/testbed.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/ensure-toolchain.sh
payload=tests/bench/payload.sh
[ "${1:-}" = shapes ] && payload=tests/bench/shapes.sh
# The build the packages ship (the `dist` profile: LTO, one codegen unit).
cargo build --profile dist --quiet --bin ipvsadm-rs --example raw_load --example raw_read
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The shape payload's settings reach it through a line of its own.
{ printf 'SIZE=%q WIDE=%q CONNS=%q SHAPES=%q\n' "${SIZE:-10000}" "${WIDE:-50}" "${CONNS:-20000}" "${SHAPES:-}"; cat "$payload"; } > "$out/payload.sh"
bash tests/vm/testbed.sh run --timeout 3600 --memory 2048 --ipvsadm-rs target/dist/ipvsadm-rs \
    --file target/dist/examples/raw_load --file target/dist/examples/raw_read \
    --file tests/bench/common.sh "$out/payload.sh" "$out/vm" >&2
cat "$out/vm/stdout"
cat "$out/vm/stderr" >&2
