# Runs inside the test VM (tests/bench/run.sh): times ipvsadm and
# ipvsadm-rs on the same kernel in the same boot, each in its own network
# namespace for changes, and on the same namespace for listings.
#
# The kernel's service hash table is shared by all namespaces, and every
# real server has a rate estimator the kernel updates every 2 s, so tables
# left in other namespaces slow everything down: each measurement runs with
# only the tables it needs.
source /testbed/lib.sh
source /work/common.sh
rules() {  # rules SERVICES SERVERS_PER_SERVICE
    busybox awk -v n="$1" -v r="$2" 'BEGIN { for (i = 0; i < n; i++) {
        s = sprintf("10.%d.%d.%d:80", int(i / 65536), int(i / 256) % 256, i % 256)
        printf "-A -t %s -s wlc\n", s
        for (j = 1; j <= r; j++) printf "-a -t %s -r 192.168.%d.%d:8080 -m -w %d\n", s, j, i % 250 + 1, j } }'
}
seconds() {  # seconds NS COMMAND...: wall time of COMMAND run in namespace NS (in /tmp/elapsed), stdin and stdout passed through, its exit status returned
    # The clock is read inside the namespace: entering it (`ip netns exec`
    # makes a mount namespace and remounts /sys) takes about 50 ms under
    # TCG, for either tool, and is not the tool's time.
    local ns=$1
    shift
    ip netns exec "$ns" bash -c 'start=$EPOCHREALTIME; "$@"; status=$?; end=$EPOCHREALTIME
        echo "$start $end" | busybox awk "{ printf \"%.3f\", \$2 - \$1 }" > /tmp/elapsed
        exit $status' timed "$@"
}
least_of() {  # least_of NUMBERS...: the smallest
    echo "$@" | tr ' ' '\n' | sort -n | head -n 1
}
best_of_3() {  # best_of_3 OUT NS COMMAND...: the shortest of three runs, output in OUT
    local out=$1 times=
    shift
    for _ in 1 2 3; do
        seconds "$@" > "$out"
        times="$times $(cat /tmp/elapsed)"
    done
    least_of $times > /tmp/elapsed
}
row() {  # row WHAT REF RS
    busybox awk -v w="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-52s %9.3f s %9.3f s %7.1fx\n", w, a, b, (b > 0 ? a / b : 0) }'
}
drop() {  # drop NS...: free the namespaces' tables, then the namespaces
    # Flushing is synchronous; deleting a namespace that still holds a big
    # table leaves the kernel freeing it in the background for seconds,
    # on one of the two CPUs, while the next measurement runs. Even after
    # a flush, the kernel frees the removed real servers when the
    # namespace goes, in the background: the next run waits for that.
    for ns in "$@"; do
        ip netns exec "$ns" /sbin/ipvsadm -C 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    sleep 1
    settle
}
fresh() {  # fresh NS...: empty namespaces (deleting one frees its table)
    drop "$@"
    for ns in "$@"; do mkns "$ns"; done
}
median() {  # median NUMBERS...: the middle one (the lower middle of an even count)
    echo "$@" | tr ' ' '\n' | sort -n | busybox awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ratio() {  # ratio A B: A / B, two decimals; "none" when B is missing or 0 (a failed run)
    busybox awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "none" }'
}
# Each run below makes its namespace and drops it (and its table) after.
restore_ref() {  # ipvsadm -R of /tmp/rules.$size (the last round's table kept in /tmp/ref.table)
    mkns ref
    seconds ref /sbin/ipvsadm -R < /tmp/rules.$size || echo "  !! ipvsadm -R failed"
    refs="$refs $(cat /tmp/elapsed)"
    [ "$round" = 7 ] && ip netns exec ref /sbin/ipvsadm -Sn | sort > /tmp/ref.table
    drop ref
}
restore_raw() {  # the floor: the same requests, encoded before the clock
    # starts, sent in the same batches on one socket (examples/raw_load.rs)
    mkns raw
    this_raw=$(ip netns exec raw /work/raw_load < /tmp/rules.$size) || echo "  !! the raw load failed"
    raws="$raws $this_raw"
    drop raw
}
restore_rs() {  # ipvsadm-rs -R of /tmp/rules.$size
    mkns rs
    seconds rs ipvsadm-rs -R < /tmp/rules.$size || echo "  !! ipvsadm-rs -R failed"
    this_rs=$(cat /tmp/elapsed)
    rss="$rss $this_rs"
    drop rs
}
printf '%-52s %11s %11s %8s\n' "measurement" "ipvsadm" "ipvsadm-rs" "speed-up"
for size in 2000 10000; do
    rules $size 10 > /tmp/rules.$size
    lines=$(wc -l < /tmp/rules.$size)
    # Fresh namespaces each time: the kernel keeps removed real servers in
    # a per-namespace trash list that every later add searches. Each
    # restore runs with no other table in the kernel: the service hash
    # table is shared by all namespaces, and every table costs the
    # kernel's rate estimators time on a shared CPU.
    #
    # TCG timings wander by half between runs of the same thing, whatever
    # the pause before them (the host's load moves): at 10,000 x 10 the
    # raw load alone took 1.15 s to 2.2 s in one boot. So there are seven
    # rounds of the three runs, in an order that turns each round so that
    # no tool always follows the same one; best and median are printed,
    # and each ipvsadm-rs run is compared with the raw load of its round.
    refs= raws= rss= ratios=
    for round in 1 2 3 4 5 6 7; do
        case $((round % 3)) in
            1) restore_ref; restore_raw; restore_rs ;;
            2) restore_rs; restore_ref; restore_raw ;;
            0) restore_raw; restore_rs; restore_ref ;;
        esac
        ratios="$ratios $(ratio "$this_rs" "$this_raw")"
    done
    a=$(least_of $refs) b=$(least_of $rss) raw=$(least_of $raws)
    row "restore $size x 10 into an empty table ($lines lines)" $a $b
    echo "  medians of seven runs: ipvsadm $(median $refs) s, ipvsadm-rs $(median $rss) s ($(ratio "$(median $refs)" "$(median $rss)")x)"
    echo "  raw batched load of the same requests: best $raw s, median $(median $raws) s; ipvsadm-rs takes $(ratio "$b" "$raw")x the best"
    echo "  each ipvsadm-rs run against the raw load of its round:$ratios (median $(median $ratios)x)"
    echo "  the runs in order, ipvsadm:$refs; raw:$raws; ipvsadm-rs:$rss"
    # Untimed: the table ipvsadm-rs makes, against ipvsadm's (its last
    # run); the 10000 x 10 one stays for the listings. (Every timed run
    # dropped its namespace already.)
    mkns rs
    ip netns exec rs ipvsadm-rs -R < /tmp/rules.$size
    ip netns exec rs /sbin/ipvsadm -Sn | sort > /tmp/rs.table
    cmp -s /tmp/ref.table /tmp/rs.table || echo "  !! the two tables differ"
    [ $size = 10000 ] || drop rs
done
# Listings of the one 10000 x 10 table (in namespace rs), best of three runs.
for form in -Ln -Sn; do
    best_of_3 /tmp/ref.out rs /sbin/ipvsadm $form; a=$(cat /tmp/elapsed)
    best_of_3 /tmp/rs.out rs ipvsadm-rs $form; b=$(cat /tmp/elapsed)
    row "$form of 10000 x 10" $a $b
    cmp -s /tmp/ref.out /tmp/rs.out || echo "  !! the outputs differ"
    best_of_3 /tmp/rs.out rs env IPVSADM_RS_LIST_SOURCE=netlink ipvsadm-rs $form; b=$(cat /tmp/elapsed)
    row "$form of 10000 x 10, ipvsadm-rs pure netlink" $a $b
    cmp -s /tmp/ref.out /tmp/rs.out || echo "  !! the outputs differ"
done
# --replace with 1% of the lines changed (every 100th line: a real server's
# weight, or a service's scheduler) against ipvsadm-restore (flush + -R).
busybox awk 'NR % 100 == 0 { if ($1 == "-a") $NF = $NF + 50; else $NF = "rr" } { print }' \
    /tmp/rules.10000 > /tmp/changed
changed=$(busybox diff /tmp/rules.10000 /tmp/changed | grep -c '^+[^+]')
fresh ref
ip netns exec ref ipvsadm-rs -R < /tmp/rules.10000
seconds ref /sbin/ipvsadm-restore < /tmp/changed; a=$(cat /tmp/elapsed)
seconds rs ipvsadm-rs --restore --replace < /tmp/changed; b=$(cat /tmp/elapsed)
row "--replace of 10000 x 10, $changed lines changed" $a $b
echo "  (ipvsadm: ipvsadm-restore, a flush and -R)"
ip netns exec ref /sbin/ipvsadm -Sn | sort > /tmp/ref.table
ip netns exec rs /sbin/ipvsadm -Sn | sort > /tmp/rs.table
cmp -s /tmp/ref.table /tmp/rs.table || echo "  !! the two tables differ"
# Untimed: the same replace, traced, to count the change requests it sends.
fresh traced
drop ref
ip netns exec traced ipvsadm-rs -R < /tmp/rules.10000
IPVSADM_RS_NETLINK_TRACE=/tmp/replace.trace ip netns exec traced ipvsadm-rs --restore --replace < /tmp/changed
sent=$(busybox awk '
function byte(i) { return (index("0123456789abcdef", substr(h, 2 * i + 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(h, 2 * i + 2, 1)) - 1 }
/^> / { h = substr($0, 3); off = 0; n = length(h) / 2
    while (off < n) {
        len = byte(off) + byte(off + 1) * 256 + byte(off + 2) * 65536
        cmd = byte(off + 16)
        # 0x10 is the netlink controller; 4, 8, 11, 13, 15 are GET commands
        if (byte(off + 4) != 16 && cmd != 4 && cmd != 8 && cmd != 11 && cmd != 13 && cmd != 15) count++
        off += int((len + 3) / 4) * 4 } }
END { print count + 0 }' /tmp/replace.trace)
echo "  change requests sent by --replace: $sent (lines changed: $changed)"
