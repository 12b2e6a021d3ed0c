#!/usr/bin/env bash
# The real-kernel test bed: boots Debian's stock kernel (which has IPVS) under
# QEMU/TCG with a busybox initramfs, runs a bash script inside it next to the
# reference /sbin/ipvsadm and a freshly built ipvsadm-rs, and hands back the
# script's stdout, stderr, exit status and a folder of results.
#
# Usage:
#   testbed.sh prepare                     install prerequisites, fetch and cache the kernel
#   testbed.sh run [options] SCRIPT OUTDIR boot once, run SCRIPT with bash as root
#     --ipvsadm-rs PATH   binary to install as /usr/sbin/ipvsadm-rs (default: none)
#     --timeout SECONDS   wall-clock limit for the whole VM run (default 900)
#     --memory MB         guest memory (default 512)
#     --smp N             virtual CPUs (default 2; TCG runs them on separate host threads)
#     --file PATH         also copy PATH to /work/<its name> (repeatable)
#
# Inside the VM: SCRIPT runs with cwd /work, $RESULTS is an empty folder whose
# content is copied back to OUTDIR/results, and /testbed/lib.sh offers helpers
# (mkns NAME: a network namespace with lo, a dummy interface and a default
# route, so that every test address is routable; lb_topology: client, load
# balancer and server namespaces for real traffic). OUTDIR receives
# stdout, stderr, rc (the script's exit status) and console.log.
#
# Kernel: IPVSADM_RS_VM_KERNEL=5.10|6.1|6.12 (default 6.1), each cached apart.
# Cache: ${IPVSADM_RS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipvsadm-rs-vm}.
# Facts this relies on (measured): /dev/kvm hangs with a stock kernel, so TCG;
# libcrc32c needs crc32c_generic loaded first (busybox modprobe ignores
# softdeps); busybox sh prefers its own applets, so payloads run under bash;
# SeaBIOS and the kernel share ttyS0, so results travel on ttyS1.
set -euo pipefail

CACHE=${IPVSADM_RS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipvsadm-rs-vm}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "testbed: $*" >&2; exit 1; }

# watch_after TIMEOUT: when the VM shows what still runs, in seconds after
# its boot: a minute before the host's limit (emulated clocks keep the
# host's time), later than any payload that will finish.
watch_after() {
    local margin=60
    [ "$1" -gt 120 ] || margin=$(($1 / 4))
    echo $(($1 - margin))
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

install_prerequisites() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -cx base64 >/dev/null || need+=(busybox-static)
    [ -x /sbin/ipvsadm ] || need+=(ipvsadm)
    command -v depmod >/dev/null || [ -x /sbin/depmod ] || need+=(kmod)
    command -v cpio >/dev/null || need+=(cpio)
    command -v ip >/dev/null || [ -x /sbin/ip ] || need+=(iproute2)
    [ -f /etc/services ] || need+=(netbase)
    command -v xz >/dev/null || need+=(xz-utils)
    command -v zstd >/dev/null || need+=(zstd)
    if [ "${#need[@]}" -gt 0 ]; then
        echo "testbed: installing ${need[*]}" >&2
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
            die "apt-get update failed"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2 ||
            die "apt-get install ${need[*]} failed"
    fi
}

# The kernel to boot, chosen by IPVSADM_RS_VM_KERNEL: 6.1 (the default,
# Debian 12's own), 6.12 (Debian 12's bookworm-security) or 5.10 (Debian
# 11, bullseye). Each is cached in a folder of its own.
KERNEL_SERIES=${IPVSADM_RS_VM_KERNEL:-6.1}
case "$KERNEL_SERIES" in
    5.10 | 6.1 | 6.12) ;;
    *) die "IPVSADM_RS_VM_KERNEL=$KERNEL_SERIES: use 5.10, 6.1 or 6.12" ;;
esac
KERNEL=$CACHE/kernel-$KERNEL_SERIES

# apt for a suite the machine does not list (bullseye), from a sources
# list and state of its own under the cache: the machine's own apt sources
# are not changed.
private_apt() {
    local dir=$CACHE/apt-$1
    echo "-o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=/dev/null" \
        "-o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache -o APT::Sandbox::User=root"
}

prepare_private_apt() {
    local suite=$1 dir=$CACHE/apt-$1
    [ -f "$dir/ready" ] && return
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
        > "$dir/sources.list"
    # shellcheck disable=SC2046
    apt-get $(private_apt "$suite") update -qq >&2 || die "apt-get update for $suite failed"
    touch "$dir/ready"
}

# The versioned kernel package of the chosen series, and the apt options
# to fetch it with.
kernel_package() {
    case "$KERNEL_SERIES" in
        6.1) apt-cache depends linux-image-amd64 2>/dev/null |
                awk '/Depends: linux-image-6\.1\.[0-9]/ { print $2; exit }' ;;
        6.12) apt-cache pkgnames linux-image-6.12. 2>/dev/null |
                grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' | sort -V | tail -n1 ;;
        # shellcheck disable=SC2046
        5.10) apt-cache $(private_apt bullseye) depends linux-image-amd64 2>/dev/null |
                awk '/Depends: linux-image-5\.10\.[0-9]/ { print $2; exit }' ;;
    esac
}

fetch_kernel() {
    local pkg dir apt_options=""
    if [ -f "$KERNEL/ready" ]; then return; fi
    if [ "$KERNEL_SERIES" = 5.10 ]; then
        prepare_private_apt bullseye
        apt_options=$(private_apt bullseye)
    fi
    pkg=$(kernel_package)
    if [ -z "$pkg" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
        pkg=$(kernel_package)
    fi
    [ -n "$pkg" ] || die "cannot find a $KERNEL_SERIES kernel package"
    dir=$(mktemp -d "$CACHE/kernel.tmp.XXXXXX")
    echo "testbed: downloading $pkg" >&2
    # shellcheck disable=SC2086
    (cd "$dir" && apt-get $apt_options download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
    dpkg-deb -x "$dir"/*.deb "$dir/x" || die "cannot unpack $pkg"
    local version
    version=$(ls "$dir/x/lib/modules")
    # Newer kernels compress their modules (6.12: .ko.xz); the VM's
    # busybox loads plain ones, so they are unpacked here, then indexed.
    find "$dir/x/lib/modules" -name '*.ko.xz' -exec xz -d {} +
    find "$dir/x/lib/modules" -name '*.ko.zst' -exec zstd -q -d --rm {} +
    /sbin/depmod -b "$dir/x" "$version" || die "depmod failed"
    rm -rf "$KERNEL"
    mkdir -p "$KERNEL"
    mv "$dir/x/boot/vmlinuz-$version" "$KERNEL/vmlinuz"
    mv "$dir/x/lib/modules/$version" "$KERNEL/modules"
    echo "$version" > "$KERNEL/version"
    echo "$pkg" > "$KERNEL/package"
    rm -rf "$dir"
    touch "$KERNEL/ready"
}

# Copy a dynamically linked program and the libraries it needs into ROOT, at the same paths.
copy_program() {
    local root=$1 src=$2 dst=${3:-$2} lib
    mkdir -p "$root$(dirname "$dst")"
    cp -L "$src" "$root$dst"
    for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# Modules to ship: IPVS, every scheduler, the SIP persistence engine, FTP helper,
# and the interfaces the tests build networks with; plus their dependencies.
MODULES="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_pe_sip ip_vs_ftp
crc32c_generic veth dummy"

# Schedulers some kernels have and others lack (twos: 6.12 on).
OPTIONAL_MODULES="ip_vs_twos"

module_closure() {
    local dep=$KERNEL/modules/modules.dep
    local todo=$MODULES seen=" " m path deps
    for m in $OPTIONAL_MODULES; do
        grep -qE "(^|/)$m\.ko:" "$dep" && todo="$todo $m"
    done
    while [ -n "$todo" ]; do
        set -- $todo
        m=$1; shift; todo="$*"
        case "$seen" in *" $m "*) continue ;; esac
        seen="$seen$m "
        path=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$dep" | head -n1)
        [ -n "$path" ] || die "module $m not in modules.dep"
        echo "${path%%:*}"
        deps=${path#*:}
        for d in $deps; do
            d=${d##*/}; d=${d%%.ko*}
            todo="$todo $d"
        done
    done
}

build_base() {
    local version base stamp
    version=$(cat "$KERNEL/version")
    stamp=$( (cat "$0"; sha256sum /sbin/ipvsadm /sbin/ipvsadm-save /sbin/ipvsadm-restore /bin/busybox; echo "$version") | sha256sum | cut -c1-16)
    base=$CACHE/base-$stamp.cpio.gz
    if [ -f "$base" ]; then echo "$base"; return; fi
    local root
    root=$(mktemp -d "$CACHE/root.tmp.XXXXXX")
    mkdir -p "$root"/{bin,sbin,bbin,etc,proc,sys,dev,tmp,run,var,work,results,testbed,root}
    mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/lib/modules/$version"
    ln -s ../run "$root/var/run"
    cp /bin/busybox "$root/bbin/busybox"
    copy_program "$root" "$(readlink -f /sbin/ipvsadm)" /sbin/ipvsadm
    # the reference's wrapper scripts (bash; they set PATH to /bin and /sbin,
    # where they find busybox's grep and basename)
    cp /sbin/ipvsadm-save /sbin/ipvsadm-restore "$root/sbin/"
    ln -s /bbin/busybox "$root/bin/grep"
    ln -s /bbin/busybox "$root/bin/basename"
    copy_program "$root" "$(command -v bash)" /bin/bash
    copy_program "$root" "$(command -v ip || echo /sbin/ip)" /sbin/ip
    # /sbin/modprobe: the kernel runs it to load schedulers and the SIP engine on demand.
    ln -s /bbin/busybox "$root/sbin/modprobe"
    local m
    for m in $(module_closure); do
        mkdir -p "$root/lib/modules/$version/$(dirname "$m")"
        cp "$KERNEL/modules/$m" "$root/lib/modules/$version/$m"
    done
    cp "$KERNEL/modules"/modules.{dep,alias,softdep,symbols} "$root/lib/modules/$version/" 2>/dev/null || true
    cp /etc/services /etc/protocols "$root/etc/"
    cat > "$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
10.1.2.3	webhost webhost.example
10.1.2.4	dbhost
10.1.2.5	realserver-with-a-very-long-host-name.example.org
::1	localhost ip6-localhost ip6-loopback
HOSTS
    printf 'hosts: files\nservices: files\nprotocols: files\npasswd: files\ngroup: files\n' > "$root/etc/nsswitch.conf"
    printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/bash\n' > "$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
    cat > "$root/testbed/lib.sh" <<'LIB'
# Helpers for payload scripts (sourced by bash).
# routable COMMAND...: in the namespace COMMAND runs things in (`ip netns
# exec NAME`, `nsenter --net=PATH`), lo up, a dummy interface holding
# 10.255.255.254/8 and 2001:db8:ffff::fffe/48, and default routes, so that
# every test address (v4 and v6) is routable.
routable() {
    "$@" ip link set lo up
    "$@" ip link add dummy0 type dummy
    "$@" ip link set dummy0 up
    "$@" ip addr add 10.255.255.254/8 dev dummy0
    "$@" ip -6 addr add 2001:db8:ffff::fffe/48 dev dummy0 nodad
    "$@" ip route add default dev dummy0
    "$@" ip -6 route add default dev dummy0
}
# mkns NAME: a named network namespace, routable.
mkns() {
    ip netns add "$1"
    routable ip netns exec "$1"
}
# lb_topology: namespaces client (10.10.0.1), lb (10.10.0.2, the virtual
# address 10.10.0.100, and 10.20.0.2) and server (10.20.0.1, routed through
# lb), joined by veth pairs, with forwarding on in lb: real traffic through
# NAT services.
lb_topology() {
    ip netns add client; ip netns add lb; ip netns add server
    ip link add c0 netns client type veth peer name l0 netns lb
    ip link add l1 netns lb type veth peer name s0 netns server
    for ns in client lb server; do ip -n $ns link set lo up; done
    ip -n client addr add 10.10.0.1/24 dev c0; ip -n client link set c0 up
    ip -n lb addr add 10.10.0.2/24 dev l0; ip -n lb addr add 10.10.0.100/32 dev l0; ip -n lb link set l0 up
    ip -n lb addr add 10.20.0.2/24 dev l1; ip -n lb link set l1 up
    ip -n server addr add 10.20.0.1/24 dev s0; ip -n server link set s0 up
    ip -n server route add default via 10.20.0.2
    ip netns exec lb sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
}
# listening NS PORT: wait (5 s at most) until a TCP socket of namespace NS
# listens on PORT. A server started anew for each connection listens only
# between them, and a client that came first would be refused.
listening() {
    local hex tries=0
    hex=$(printf ':%04X' "$2")
    while [ $tries -lt 50 ]; do
        # State 0A is LISTEN; the local address is the second column.
        ip netns exec "$1" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
            busybox awk -v p="$hex" 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' && return
        sleep 0.1
        tries=$((tries + 1))
    done
}
# same NAME A B: how B differs from A (unified diff, its first 80 lines)
# in $RESULTS/NAME.diff, empty when they are the same.
same() {
    diff -u "$2" "$3" | head -80 > "$RESULTS/$1.diff"
}
LIB
    cat > "$root/init" <<'INIT'
#!/bbin/busybox sh
/bbin/busybox --install -s /bbin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/bbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -s /proc/self/fd /dev/fd
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
insmod $(find /lib/modules -name 'crc32c_generic.ko*')
modprobe ip_vs
modprobe veth
modprobe dummy
ip link set lo up
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo "@@TESTBED-START@@"
# A payload still running shortly before the host gives up (testbed.watch=
# seconds after boot) is shown on the console: what runs, where each
# process waits in the kernel, and the payload's last output; a hang
# leaves nothing else behind.
watch=$(sed -n 's/.*testbed\.watch=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$watch" ]; then
    (
        sleep "$watch"
        echo "@@TESTBED-WATCHDOG@@ the payload is still running; its processes:"
        for p in /proc/[0-9]*; do
            command=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null | cut -c1-160)
            [ -n "$command" ] || continue
            echo "${p#/proc/} $command"
            for t in "$p"/task/*; do
                echo "  thread ${t##*/}: $(grep '^State:' "$t/status")"
                sed 's/^/    /' "$t/stack" 2>/dev/null | head -6
            done
        done
        echo "-- the payload's last output:"
        tail -n 15 /tmp/payload.stdout
        echo "-- the payload's last errors:"
        tail -n 15 /tmp/payload.stderr
    ) &
fi
cd /work
RESULTS=/results HOME=/root bash /work/payload.sh > /tmp/payload.stdout 2> /tmp/payload.stderr < /dev/null
echo $? > /tmp/payload.rc
mkdir -p /tmp/pack && mv /tmp/payload.stdout /tmp/payload.stderr /tmp/payload.rc /tmp/pack/
mv /results /tmp/pack/results
echo "@@TESTBED-RESULTS@@"
# The end mark travels after the results on their own port: the last close
# of a serial port waits until its output is sent, where a line echoed to
# the console may still sit in its buffer when the VM powers off.
{ tar -C /tmp/pack -cf - . | gzip -1 | base64; echo "@@TESTBED-END@@"; } > /dev/ttyS1
echo "@@TESTBED-END@@"
sync
poweroff -f
INIT
    chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$base.tmp"
    mv "$base.tmp" "$base"
    rm -rf "$root"
    echo "$base"
}

prepare() {
    install_prerequisites
    mkdir -p "$CACHE"
    exec 9> "$CACHE/lock"
    flock 9
    fetch_kernel
    build_base
    flock -u 9
}

run() {
    local rs="" timeout=900 memory=512 smp=2 files=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --ipvsadm-rs) rs=$2; shift 2 ;;
            --timeout) timeout=$2; shift 2 ;;
            --memory) memory=$2; shift 2 ;;
            --smp) smp=$2; shift 2 ;;
            --file) files+=("$2"); shift 2 ;;
            *) break ;;
        esac
    done
    [ $# -eq 2 ] || die "usage: testbed.sh run [--ipvsadm-rs PATH] [--timeout S] SCRIPT OUTDIR"
    local script=$1 out=$2
    [ -f "$script" ] || die "no such script: $script"
    local base
    base=$(prepare | tail -n1)
    [ -f "$base" ] || die "base initramfs missing"
    mkdir -p "$out"
    rm -rf "$out/results" "$out/stdout" "$out/stderr" "$out/rc"
    local work
    work=$(mktemp -d "${TMPDIR:-/tmp}/testbed.XXXXXX")
    trap 'rm -rf "$work"' RETURN
    mkdir -p "$work/root/work" "$work/root/usr/sbin"
    cp "$script" "$work/root/work/payload.sh"
    local f
    for f in "${files[@]}"; do
        cp "$f" "$work/root/work/"
    done
    if [ -n "$rs" ]; then
        [ -x "$rs" ] || die "not an executable: $rs"
        copy_program "$work/root" "$rs" /usr/sbin/ipvsadm-rs
    fi
    (cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/overlay.cpio.gz"
    cat "$base" "$work/overlay.cpio.gz" > "$work/initrd.gz"
    local rc=0
    timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel tcg -m "$memory" -smp "$smp" \
        -display none -no-reboot -nic none -monitor none \
        -serial "file:$out/console.log" -serial "file:$work/results.b64" \
        -kernel "$KERNEL/vmlinuz" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 quiet panic=-1 rdinit=/init testbed.watch=$(watch_after "$timeout")" \
        </dev/null >"$work/qemu.out" 2>&1 || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        local shown
        shown=$(sed -n '/@@TESTBED-WATCHDOG@@/,$p' "$out/console.log" | head -n 150)
        die "the VM did not finish within ${timeout}s (console: $out/console.log)${shown:+
$shown}"
    fi
    [ "$rc" = 0 ] || die "qemu failed (status $rc): $(cat "$work/qemu.out")"
    grep -q '^@@TESTBED-END@@' "$work/results.b64" ||
        die "the VM stopped before the payload finished (console: $out/console.log); the console's last lines:
$(tail -n 60 "$out/console.log")"
    mkdir -p "$out/unpack"
    sed '/^@@TESTBED-END@@/d' "$work/results.b64" | base64 -d -i | tar -C "$out/unpack" -xzf - ||
        die "cannot unpack the results sent by the VM"
    mv "$out/unpack/results" "$out/results"
    mv "$out/unpack/payload.stdout" "$out/stdout"
    mv "$out/unpack/payload.stderr" "$out/stderr"
    mv "$out/unpack/payload.rc" "$out/rc"
    rmdir "$out/unpack" 2>/dev/null || rm -rf "$out/unpack"
}

case "${1:-}" in
    prepare) prepare ;;
    run) shift; run "$@" ;;
    *) die "usage: testbed.sh prepare | run [--ipvsadm-rs PATH] [--timeout S] SCRIPT OUTDIR" ;;
esac
