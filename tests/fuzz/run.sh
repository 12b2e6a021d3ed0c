#!/usr/bin/env bash
# Run every fuzz target for a bounded time: bash tests/fuzz/run.sh [SECONDS]
# (default 60 each; CI uses a short time, a local hunt 600 or more).
# Needs a nightly toolchain and cargo-fuzz; both are installed when
# missing. Each target starts from its saved findings and seeds in
# tests/fuzz/regressions/<target>/. A crash, hang (over 10 s on one input)
# or memory use over 2 GiB fails the run; the input is left in
# tests/fuzz/artifacts/<target>/: copy it into the regressions folder, fix
# the cause, and tests/fuzz_regressions.rs keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
source tests/ensure-toolchain.sh
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal >&2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked >&2
fi
targets=(argv restore netlink_reply proc_conn proc_ip_vs sockopt_reply)
cargo +nightly fuzz build --fuzz-dir tests/fuzz >&2
summary=()
for target in "${targets[@]}"; do
    corpus=tests/fuzz/corpus/$target
    mkdir -p "$corpus"
    cp tests/fuzz/regressions/"$target"/* "$corpus"/
    log=$(mktemp)
    echo "fuzzing $target for $seconds s" >&2
    if ! cargo +nightly fuzz run --fuzz-dir tests/fuzz "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
        tail -40 "$log" >&2
        echo "fuzz target $target failed: see tests/fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    summary+=("$(printf '%-14s %6s s %12s executions, peak RSS %s MB' "$target" "$seconds" "$runs" "$peak")")
    rm -f "$log"
done
printf '%s\n' "${summary[@]}"
