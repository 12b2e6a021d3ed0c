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
rs() { ip netns exec demo ipvsadm-rs "$@"; }
show() { echo "# ipvsadm-rs $*"; ip netns exec demo ipvsadm-rs "$@"; echo "# (exit status $?)"; echo; }
# A kube-proxy-like table: ClusterIP services with their endpoints ...
rs -R <<'RULES'
-A -t 10.96.0.1:443 -s rr
-a -t 10.96.0.1:443 -r 192.168.0.10:6443 -m
-a -t 10.96.0.1:443 -r 192.168.0.11:6443 -m
-A -t 10.96.0.10:53 -s rr
-a -t 10.96.0.10:53 -r 10.244.1.5:53 -m
-a -t 10.96.0.10:53 -r 10.244.2.9:53 -m
-A -u 10.96.0.10:53 -s rr
-a -u 10.96.0.10:53 -r 10.244.1.5:53 -m
-a -u 10.96.0.10:53 -r 10.244.2.9:53 -m
-A -t 10.96.14.7:80 -s rr
-a -t 10.96.14.7:80 -r 10.244.1.20:8080 -m
-a -t 10.96.14.7:80 -r 10.244.2.21:8080 -m
-A -t 10.96.77.3:8443 -s rr
-a -t 10.96.77.3:8443 -r 10.244.3.30:8443 -m
RULES
# ... then the endpoints of one service vanish and another one's pods are
# all terminating (graceful termination leaves them at weight 0).
rs -d -t 10.96.14.7:80 -r 10.244.1.20:8080
rs -d -t 10.96.14.7:80 -r 10.244.2.21:8080
rs -e -t 10.96.77.3:8443 -r 10.244.3.30:8443 -m -w 0
show -Ln
show -Ln --orphans
show -Ln --orphans --json
echo "# the reference: ipvsadm -Ln (same table)"
ip netns exec demo ipvsadm -Ln
PAYLOAD
bash tests/vm/testbed.sh run --ipvsadm-rs target/release/ipvsadm-rs "$script" "$out" >&2
cat "$out/stdout"
cat "$out/stderr" >&2
exit "$(cat "$out/rc")"
