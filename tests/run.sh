#!/usr/bin/env bash
# The whole test suite: unit and feature tests (no kernel, seconds) and the differential
# tests against the reference ipvsadm on a real IPVS kernel in the QEMU test
# bed (installs its own prerequisites and caches the kernel on first use),
# then the Debian packages (tests/package.sh), then the fuzzers for a
# bounded time (tests/fuzz/run.sh).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The services database (netbase) backs port-name tests; Debian has it by default.
if [ ! -f /etc/services ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq netbase
fi
# groff and man lint the man pages; bash, zsh and fish check the completions.
need=()
command -v groff >/dev/null || need+=(groff-base)
command -v man >/dev/null || need+=(man-db)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
command -v file >/dev/null || need+=(file)
# promtool checks the metrics and the example alert rules; node_exporter
# serves the metrics unit's file in the VM test.
command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
if [ "${#need[@]}" -gt 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
# Python's prometheus_client parser (PyPI) reads the metrics in the VM test.
python3 -c 'import prometheus_client' 2>/dev/null ||
    python3 -m pip install -q prometheus-client
source tests/ensure-toolchain.sh
bash tests/vm/testbed.sh prepare >/dev/null
# Everything that needs no kernel (seconds), then the VM suite, which plain
# `cargo test` leaves out.
# Every outside program the checks run is installed above: none may be skipped.
export IPVSADM_RS_ALL_TOOLS=1
cargo test --release --all-targets "$@"
cargo test --release --test vm "$@"
# The other supported kernels (README: Supported kernels): the differential
# corpora, restores, --replace, the traffic test, -v and the listing
# sources on each.
other_kernel_tests=(invalid_command_lines_match_the_reference kernel_commands_match_the_reference
    listings_match_the_reference_and_json_agrees random_sequences_match_the_reference
    restores_are_all_or_nothing replace_sends_only_the_difference
    counters_and_connections_after_real_traffic version_reports_what_the_kernel_has
    every_real_server_source_lists_like_the_reference)
for kernel in ${IPVSADM_RS_OTHER_KERNELS-5.10 6.12}; do
    IPVSADM_RS_VM_KERNEL=$kernel bash tests/vm/testbed.sh prepare >/dev/null
    IPVSADM_RS_VM_KERNEL=$kernel cargo test --release --test vm "$@" -- "${other_kernel_tests[@]}"
done
# The .deb packages, built and installed into a scratch Debian root.
bash tests/package.sh
# Every fuzz target for a bounded time (IPVSADM_RS_FUZZ_SECONDS, default
# 30 each; 0 skips). Needs nightly and cargo-fuzz, installed when missing.
fuzz_seconds=${IPVSADM_RS_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
    bash tests/fuzz/run.sh "$fuzz_seconds"
fi
