# Runs inside the test VM (tests/bench/run.sh shapes): the listing forms on
# every table shape, ipvsadm against ipvsadm-rs in the same boot, and
# beside them the plain whole-table kernel reads each form is built from
# (the raw_read example, timed as the tools are), so that each form's
# distance from its floor shows. Each form and its floor run by turns, so
# that both are timed under the same load of the machine.
# Each table is loaded alone into a fresh namespace.
source /testbed/lib.sh
source /work/common.sh
SIZE=${SIZE:-10000}
CONNS=${CONNS:-20000}
WIDE=${WIDE:-50}
shape_rules() {  # shape_rules SHAPE: the restore input of one shape
    busybox awk -v shape="$1" -v n="$SIZE" -v wide="$WIDE" '
    function v4(i, last) { return sprintf("10.%d.%d.%d", int(i / 65536), int(i / 256) % 256, last) }
    function servers(svc, count, i,   j) {
        for (j = 1; j <= count; j++)
            printf "-a %s -r 192.168.%d.%d:8080 -m -w %d\n", svc, j, i % 250 + 1, j }
    function servers6(svc, i,   j) {
        for (j = 1; j <= 10; j++)
            printf "-a %s -r [2001:db8:1::%x:%x]:8080 -m -w %d\n", svc, j, i + 1, j }
    BEGIN {
        if (shape == "wide") {
            for (i = 0; i < wide; i++) {
                svc = sprintf("-t 10.0.0.%d:80", i + 1)
                print "-A " svc " -s wlc"
                for (j = 0; j < 1000; j++)
                    printf "-a %s -r 172.16.%d.%d:8080 -m -w 1\n", svc, int(j / 250), j % 250 + 1
            }
            exit
        }
        for (i = 0; i < n; i++) {
            if (shape == "ipv4") svc = "-t " v4(i, i % 256) ":80"
            else if (shape == "dot1") svc = "-t " sprintf("10.%d.%d.1", int(i / 256) % 256, i % 256) ":80"
            else if (shape == "fwmark") svc = "-f " (i + 1)
            else if (shape == "ipv6") svc = sprintf("-t [2001:db8::%x:%x]:80", int(i / 65536), i % 65536)
            else if (i % 10 == 0) svc = "-f " (i + 1)
            else if (i % 2 == 1) svc = sprintf("-t [2001:db8::%x:%x]:80", int(i / 65536), i % 65536)
            else svc = "-u " v4(i, i % 256) ":53"
            print "-A " svc " -s wlc"
            if (svc ~ /\[/) servers6(svc, i)
            else servers(svc, 10, i)
        }
    }'
}
NS=shape
seconds() {  # seconds COMMAND...: wall time in namespace $NS (in /tmp/elapsed)
    ip netns exec $NS bash -c 'start=$EPOCHREALTIME; "$@" > /tmp/out; status=$?; end=$EPOCHREALTIME
        echo "$start $end" | busybox awk "{ printf \"%.3f\", \$2 - \$1 }" > /tmp/elapsed
        exit $status' timed "$@"
}
best_of_3() {  # best_of_3 OUT COMMAND...: the shortest of three runs, output in OUT
    local out=$1 best=
    shift
    for _ in 1 2 3; do
        seconds "$@"
        best=$(printf '%s\n' $best "$(cat /tmp/elapsed)" | sort -n | head -n 1)
    done
    cp /tmp/out "$out"
    echo "$best" > /tmp/elapsed
}
least() { printf '%s\n' "$@" | sort -n | head -n 1; }
floors() {  # each whole-table read (the raw_read example) as a process, timed
    # as the tools are, best of three: "name seconds" lines in /tmp/floors
    local name
    for name in service-dump server-dumps requests proc-text; do
        best_of_3 /tmp/floor.out /work/raw_read $name
        echo "$name $(cat /tmp/elapsed)"
    done > /tmp/floors
}
floor() { busybox awk -v n="$1" '$1 == n { print $2 }' /tmp/floors; }
row() {  # row WHAT REF RS FLOOR
    busybox awk -v w="$1" -v a="$2" -v b="$3" -v f="$4" 'BEGIN {
        printf "%-30s %9.3f s %9.3f s %7.1fx %9.3f s %6.2fx\n", w, a, b, (b > 0 ? a / b : 0), f, (f > 0 ? b / f : 0) }'
}
by_turns() {  # by_turns "READS" RS_FORM: ipvsadm-rs RS_FORM and the kernel
    # reads READS (raw_read names, or conn-text) by turns, five rounds, so
    # that a slow spell of the machine falls on both: the best of
    # ipvsadm-rs in $b, the best of any read in $f (the form's floor),
    # ipvsadm-rs's output in /tmp/rs.out
    local reads=$1 read
    shift
    b= f=
    for _ in 1 2 3 4 5; do
        seconds ipvsadm-rs "$@"; b=$(least $b "$(cat /tmp/elapsed)")
        cp /tmp/out /tmp/rs.out
        for read in $reads; do
            if [ $read = conn-text ]; then seconds cat /proc/net/ip_vs_conn
            else seconds /work/raw_read $read; fi
            f=$(least $f "$(cat /tmp/elapsed)")
        done
    done
}
compare() {  # compare REF_FORM RS_FORM WHAT "READS": sets $a, ipvsadm's time
    if [ "$1" != "$last_ref_form" ]; then
        best_of_3 /tmp/ref.out /sbin/ipvsadm $1; a=$(cat /tmp/elapsed)
        last_ref_form=$1
    fi
    by_turns "$4" $2
    row "$3" $a $b $f
    if [ "$1" = "$2" ]; then cmp -s /tmp/ref.out /tmp/rs.out || echo "  !! the outputs differ"; fi
}
printf '%-30s %11s %11s %8s %11s %7s\n' "shape and form" "ipvsadm" "ipvsadm-rs" "speed-up" "floor" "/floor"
connections() {  # -Lnc of $CONNS UDP connections through a NAT service
    NS=lb
    lb_topology
    ip netns exec lb /sbin/ipvsadm -A -u 10.10.0.100:53 -s rr
    ip netns exec lb /sbin/ipvsadm -a -u 10.10.0.100:53 -r 10.20.0.1:53 -m
    # Each datagram from a new socket is a new connection (for 300 s).
    ip netns exec client bash -c "for ((i = 0; i < $CONNS; i++)); do echo x > /dev/udp/10.10.0.100/53; done"
    settle
    best_of_3 /tmp/floor.out cat /proc/net/ip_vs_conn
    echo "connections ($(($(wc -l < /tmp/floor.out) - 1)) entries): reading /proc/net/ip_vs_conn $(cat /tmp/elapsed) s"
    best_of_3 /tmp/ref.out /sbin/ipvsadm -Lnc; a=$(cat /tmp/elapsed)
    by_turns conn-text -Lnc
    row "  -Lnc" $a $b $f
    # The expiry column counts down between runs: compare the rest.
    cut -c1-4,11- /tmp/ref.out > /tmp/ref.cut; cut -c1-4,11- /tmp/rs.out > /tmp/rs.cut
    cmp -s /tmp/ref.cut /tmp/rs.cut || echo "  !! the connection lists differ"
}
for shape in ${SHAPES:-ipv4 fwmark wide ipv6 dot1 mixed conns}; do
    if [ $shape = conns ]; then connections; continue; fi
    shape_rules $shape > /tmp/rules
    mkns shape
    last_ref_form=
    ip netns exec shape ipvsadm-rs -R < /tmp/rules || echo "  !! the $shape table did not load"
    settle
    floors
    sd=$(floor service-dump) dumps=$(floor server-dumps) req=$(floor requests) text=$(floor proc-text)
    echo "$shape ($(grep -c '^-A' /tmp/rules) services, $(grep -c '^-a' /tmp/rules) real servers): service dump $sd s; with it, per-service netlink dumps $dumps s, per-service requests $req s; /proc/net/ip_vs $text s"
    compare -Ln -Ln "  -Ln" "requests proc-text"
    compare -Sn -Sn "  -Sn" "requests proc-text"
    # --stats prints real-server counters cut to 32 bits, which getsockopt
    # has; --json prints them whole, which only the per-service dumps have.
    compare "-Ln --stats" "-Ln --stats" "  -Ln --stats" "requests server-dumps"
    compare "-Ln --stats" "-Ln --json" "  --json (against --stats)" server-dumps
    ip netns exec shape /sbin/ipvsadm -C
    ip netns del shape
    sleep 1
    settle
done
