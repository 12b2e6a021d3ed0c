#!/usr/bin/env bash
# The Debian packages, checked as a distro would: builds ipvsadm-rs and
# ipvsadm-rs-compat with cargo-deb, checks every file is where Debian puts
# it (and nothing else is there), the control fields, the size of the
# binary, then installs both into a scratch Debian root (debootstrap, with
# the real ipvsadm package in it) so that the maintainer scripts run, checks
# the unit with `systemd-analyze verify`, and purges them again.
# Run by tests/run.sh; needs root (chroot). Cache of the scratch root:
# ${IPVSADM_RS_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipvsadm-rs-deb}.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/ensure-toolchain.sh

CACHE=${IPVSADM_RS_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipvsadm-rs-deb}
MIRROR=${IPVSADM_RS_DEB_MIRROR:-http://deb.debian.org/debian}
# The largest stripped binary accepted (measured: about 0.7 MiB).
MAX_BINARY_BYTES=$((2 * 1024 * 1024))

fail() { echo "package: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

if ! command -v debootstrap >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
fi
command -v rpm >/dev/null || {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rpm
}

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
bash packaging/build-deb.sh >/dev/null
bash packaging/build-rpm.sh >/dev/null
main=target/debian/ipvsadm-rs_${version}-1_amd64.deb
compat=target/debian/ipvsadm-rs-compat_${version}-1_amd64.deb

# "mode path" or "link path -> target" for every non-directory entry.
contents() {
    dpkg-deb -c "$1" | awk '$1 !~ /^d/ {
        path = $6; sub(/^\./, "", path)
        if ($1 ~ /^l/) print "link " path " -> " $8; else print $1 " " path }' | sort
}

expected_main=$(sort <<'EOF'
-rwxr-xr-x /usr/sbin/ipvsadm-rs
link /usr/sbin/ipvsadm-rs-save -> ipvsadm-rs
link /usr/sbin/ipvsadm-rs-restore -> ipvsadm-rs
-rw-r--r-- /usr/lib/systemd/system/ipvsadm-rs.service
-rw-r--r-- /usr/lib/systemd/system/ipvsadm-rs-metrics.service
-rw-r--r-- /usr/lib/systemd/system/ipvsadm-rs-metrics.timer
-rw-r--r-- /usr/share/man/man8/ipvsadm-rs.8.gz
-rw-r--r-- /usr/share/man/man8/ipvsadm-rs-save.8.gz
-rw-r--r-- /usr/share/man/man8/ipvsadm-rs-restore.8.gz
-rw-r--r-- /usr/share/bash-completion/completions/ipvsadm-rs
-rw-r--r-- /usr/share/zsh/vendor-completions/_ipvsadm-rs
-rw-r--r-- /usr/share/fish/vendor_completions.d/ipvsadm-rs.fish
-rw-r--r-- /usr/share/doc/ipvsadm-rs/README.md
-rw-r--r-- /usr/share/doc/ipvsadm-rs/copyright
-rw-r--r-- /usr/share/doc/ipvsadm-rs/examples/save-on-stop.conf
-rw-r--r-- /usr/share/doc/ipvsadm-rs/examples/ipvs-alerts.yml
-rw-r--r-- /usr/share/doc/ipvsadm-rs/examples/ipvs-alerts.test.yml
EOF
)
expected_compat=$(sort <<'EOF'
link /sbin/ipvsadm -> /usr/sbin/ipvsadm-rs
link /sbin/ipvsadm-save -> /usr/sbin/ipvsadm-rs
link /sbin/ipvsadm-restore -> /usr/sbin/ipvsadm-rs
link /usr/share/man/man8/ipvsadm.8.gz -> ipvsadm-rs.8.gz
link /usr/share/man/man8/ipvsadm-save.8.gz -> ipvsadm-rs-save.8.gz
link /usr/share/man/man8/ipvsadm-restore.8.gz -> ipvsadm-rs-restore.8.gz
-rw-r--r-- /usr/share/doc/ipvsadm-rs-compat/copyright
EOF
)
diff -u <(echo "$expected_main") <(contents "$main") || fail "$main: unexpected contents"
diff -u <(echo "$expected_compat") <(contents "$compat") || fail "$compat: unexpected contents"

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$main" Section)" = net ] || fail "Section is not net"
field "$main" Depends | grep -q '^libc6' || fail "Depends lacks libc6"
field "$main" Suggests | grep -qw keepalived || fail "Suggests lacks keepalived"
[ "$(field "$compat" Depends)" = ipvsadm-rs ] || fail "compat does not depend on ipvsadm-rs"
for f in Conflicts Replaces Provides; do
    [ "$(field "$compat" $f)" = ipvsadm ] || fail "compat: $f is not ipvsadm"
done
# No rules file: /etc/ipvsadm.rules is the ipvsadm package's conffile.
dpkg-deb -c "$main" | grep -q ' \./etc/' && fail "the package ships files under /etc"

work=$(mktemp -d)
root=$work/root
cleanup() {
    as_root umount "$root/proc" 2>/dev/null || true
    as_root rm -rf "$work"
}
trap cleanup EXIT
dpkg-deb -x "$main" "$work/x"
size=$(stat -c %s "$work/x/usr/sbin/ipvsadm-rs")
echo "package: stripped binary: $size bytes (limit $MAX_BINARY_BYTES)"
[ "$size" -le "$MAX_BINARY_BYTES" ] || fail "binary too large"
file "$work/x/usr/sbin/ipvsadm-rs" 2>/dev/null | grep -q 'not stripped' && fail "binary not stripped"
for page in "$work"/x/usr/share/man/man8/*.8.gz; do
    gzip -t "$page" || fail "$page is not gzip"
done

# The scratch root: Debian 12 minbase plus systemd (for `systemd-analyze
# verify` and the helpers the maintainer scripts call), man-db (verify
# checks Documentation=man: links) and the ipvsadm package that
# ipvsadm-rs-compat replaces.
mkdir -p "$CACHE"
tarball=$CACHE/bookworm-root.tar
if [ ! -f "$tarball" ]; then
    echo "package: debootstrap of a scratch Debian 12 root (about a minute)" >&2
    as_root debootstrap --variant=minbase --include=systemd,man-db,ipvsadm \
        bookworm "$work/bootstrap" "$MIRROR" > "$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    as_root tar -C "$work/bootstrap" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    as_root rm -rf "$work/bootstrap"
fi
mkdir -p "$root"
as_root tar -C "$root" -xf "$tarball"
as_root mount -t proc proc "$root/proc"
as_root cp "$main" "$compat" "$root/tmp/"
in_root() { as_root chroot "$root" "$@"; }
status() { in_root dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true; }

in_root dpkg -i "/tmp/$(basename "$main")" > "$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "dpkg -i $main failed"; }
[ "$(status ipvsadm-rs)" = "install ok installed" ] || fail "ipvsadm-rs not installed"
# `NAME -v` runs: it prints the version, or, like ipvsadm, which sets IPVS
# up before reading its options, the set-up failure (a kernel without IPVS).
runs() {
    local rc=0
    in_root "$1" -v > "$work/v.out" 2> "$work/v.err" || rc=$?
    grep -q "^ipvsadm-rs v$version " "$work/v.out" && return
    [ "$rc" = 2 ] && grep -q "^Can't initialize ipvs: " "$work/v.err"
}
runs ipvsadm-rs || fail "ipvsadm-rs -v: $(cat "$work/v.out" "$work/v.err")"
if in_root ipvsadm-rs-save -x 2> "$work/save.err"; then fail "ipvsadm-rs-save -x succeeded"; fi
grep -q '^ipvsadm-rs-save: Script to save' "$work/save.err" || fail "ipvsadm-rs-save usage text"
in_root systemd-analyze verify /usr/lib/systemd/system/ipvsadm-rs.service \
    /usr/lib/systemd/system/ipvsadm-rs-metrics.service /usr/lib/systemd/system/ipvsadm-rs-metrics.timer \
    > "$work/verify.log" 2>&1 ||
    { cat "$work/verify.log" >&2; fail "systemd-analyze verify failed"; }
[ ! -s "$work/verify.log" ] || { cat "$work/verify.log" >&2; fail "systemd-analyze verify warned"; }
[ "$(in_root systemctl is-enabled ipvsadm-rs.service 2>/dev/null || true)" = disabled ] ||
    fail "the unit is not shipped disabled"
[ "$(in_root systemctl is-enabled ipvsadm-rs-metrics.timer 2>/dev/null || true)" = disabled ] ||
    fail "the metrics timer is not shipped disabled"

# The compat package takes the ipvsadm names over from the ipvsadm package.
[ "$(status ipvsadm)" = "install ok installed" ] || fail "the scratch root lacks ipvsadm"
in_root dpkg -i "/tmp/$(basename "$compat")" > "$work/compat.log" 2>&1 ||
    { cat "$work/compat.log" >&2; fail "dpkg -i $compat failed"; }
[ "$(status ipvsadm-rs-compat)" = "install ok installed" ] || fail "compat not installed"
[ "$(status ipvsadm)" != "install ok installed" ] || fail "ipvsadm still installed next to compat"
for name in /sbin/ipvsadm /usr/sbin/ipvsadm ipvsadm; do
    [ "$(in_root sh -c "readlink -f \"\$(command -v $name)\"")" = /usr/sbin/ipvsadm-rs ] ||
        fail "$name is not ipvsadm-rs"
    runs "$name" || fail "$name -v: $(cat "$work/v.out" "$work/v.err")"
done
in_root ipvsadm-save -x 2> "$work/save.err" && fail "ipvsadm-save -x succeeded"
grep -q '^ipvsadm-save: Script to save' "$work/save.err" || fail "ipvsadm-save usage text"
# man follows the alias link to ipvsadm-rs's page
in_root man -w ipvsadm | grep -q '/ipvsadm-rs.8.gz$' || fail "man ipvsadm"

in_root dpkg --purge ipvsadm-rs-compat ipvsadm-rs > "$work/purge.log" 2>&1 ||
    { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
for gone in /usr/sbin/ipvsadm-rs /sbin/ipvsadm /usr/lib/systemd/system/ipvsadm-rs.service; do
    [ ! -e "$root$gone" ] && [ ! -L "$root$gone" ] || fail "$gone left after purge"
done
echo "package: $(basename "$main") and $(basename "$compat"): contents, fields, install, verify, purge: ok"

# The RPM: the same files in Fedora's folders; its scriptlets make the
# wrapper links and remove them again (rpm --root runs them in the root).
rpm_file=target/generate-rpm/ipvsadm-rs-${version}-1.x86_64.rpm
expected_rpm=$(sort <<'EOF'
/usr/sbin/ipvsadm-rs
/usr/lib/systemd/system/ipvsadm-rs.service
/usr/lib/systemd/system/ipvsadm-rs-metrics.service
/usr/lib/systemd/system/ipvsadm-rs-metrics.timer
/usr/share/man/man8/ipvsadm-rs.8.gz
/usr/share/man/man8/ipvsadm-rs-save.8.gz
/usr/share/man/man8/ipvsadm-rs-restore.8.gz
/usr/share/bash-completion/completions/ipvsadm-rs
/usr/share/zsh/site-functions/_ipvsadm-rs
/usr/share/fish/vendor_completions.d/ipvsadm-rs.fish
/usr/share/doc/ipvsadm-rs/README.md
/usr/share/doc/ipvsadm-rs/examples/save-on-stop.conf
/usr/share/doc/ipvsadm-rs/examples/ipvs-alerts.yml
/usr/share/doc/ipvsadm-rs/examples/ipvs-alerts.test.yml
/usr/share/licenses/ipvsadm-rs/copyright
EOF
)
diff -u <(echo "$expected_rpm") <(rpm -qlp "$rpm_file" 2>/dev/null | sort) || fail "$rpm_file: unexpected contents"
rpm -qp --suggests "$rpm_file" 2>/dev/null | grep -qx keepalived || fail "the RPM does not suggest keepalived"
rpm_root() { as_root rpm --root="$root" "$@" 2>/dev/null; }
rpm_root --initdb
rpm_root -i --nodeps "$rpm_file" || fail "rpm -i failed"
[ "$(readlink "$root/usr/sbin/ipvsadm-rs-save")" = ipvsadm-rs ] || fail "rpm: no ipvsadm-rs-save link"
in_root ipvsadm-rs-save -n -x 2> "$work/save.err" && fail "rpm: ipvsadm-rs-save -x succeeded"
grep -q '^ipvsadm-rs-save: Script to save' "$work/save.err" || fail "rpm: ipvsadm-rs-save usage text"
rpm_root -e ipvsadm-rs || fail "rpm -e failed"
for gone in /usr/sbin/ipvsadm-rs /usr/sbin/ipvsadm-rs-save /usr/sbin/ipvsadm-rs-restore; do
    [ ! -e "$root$gone" ] && [ ! -L "$root$gone" ] || fail "rpm: $gone left after removal"
done
echo "package: $(basename "$rpm_file"): contents, install, removal: ok"
