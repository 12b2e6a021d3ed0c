#!/usr/bin/env bash
# The demo for any Linux host: build ipvsadm-rs, boot the test VM (Debian's
# stock kernel, which has IPVS), build a small kube-proxy-like table with
# ipvsadm-rs, and list it with ipvsadm-rs and with the reference ipvsadm.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/ensure-toolchain.sh
cargo build --release --quiet
script=$(mktemp)
out=$(mktemp -d)
trap 'rm -rf "$script" "$out"' EXIT
cat > "$script" <<'PAYLOAD'
source /testbed/lib.sh
mkns demo
run() { echo "# ipvsadm-rs $*"; ip netns exec demo ipvsadm-rs "$@"; echo; }
# Three ClusterIP services, two endpoints each ...
for svc in 10.96.0.10:53 10.96.0.1:443 10.96.14.7:80; do
    ip netns exec demo ipvsadm-rs -A -t $svc -s rr
done
ip netns exec demo ipvsadm-rs -a -t 10.96.0.10:53 -r 10.244.1.5:53 -m
ip netns exec demo ipvsadm-rs -a -t 10.96.0.10:53 -r 10.244.2.9:53 -m
ip netns exec demo ipvsadm-rs -a -t 10.96.0.1:443 -r 192.168.0.10:6443 -m
ip netns exec demo ipvsadm-rs -a -t 10.96.0.1:443 -r 192.168.0.11:6443 -m
ip netns exec demo ipvsadm-rs -a -t 10.96.14.7:80 -r 10.244.1.20:8080 -m
ip netns exec demo ipvsadm-rs -a -t 10.96.14.7:80 -r 10.244.2.21:8080 -m -w 0
run -Ln
run -Sn
run -Ln --stats
echo "# the reference: ipvsadm -Ln (same table)"
ip netns exec demo ipvsadm -Ln
PAYLOAD
bash tests/vm/testbed.sh run --ipvsadm-rs target/release/ipvsadm-rs "$script" "$out" >&2
cat "$out/stdout"
cat "$out/stderr" >&2
exit "$(cat "$out/rc")"
