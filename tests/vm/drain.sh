# --drain-server with real traffic (run by tests/vm/drain.rs): client, load
# balancer and real-server namespaces joined by veth, NAT services.
source /testbed/lib.sh
lb_topology
A="ip netns exec lb /sbin/ipvsadm"
R="ip netns exec lb ipvsadm-rs"
now() { cut -d' ' -f1 /proc/uptime; }
# Established TCP 30 s, FIN 5 s, UDP 8 s.
$R --set 30 5 8
for port in 80 81 82; do
    persistent=""; [ $port = 81 ] && persistent="-p 15"
    $R -A -t 10.10.0.100:$port -s rr $persistent
    $R -a -t 10.10.0.100:$port -r 10.20.0.1:$port -m -w 3
    # A listener that greets and keeps its side open.
    ip netns exec server sh -c "(echo hello; sleep 100) | busybox nc -l -p $port > /dev/null" &
done
$R -A -u 10.10.0.100:53 -s rr
$R -a -u 10.10.0.100:53 -r 10.20.0.1:53 -m -w 2
sleep 1

# Refused as -e refuses an unknown real server or service.
n=0
for target in "-t 10.10.0.100:80 -r 10.20.0.9:80" "-t 10.10.0.200:80 -r 10.20.0.1:80"; do
    n=$((n + 1))
    $A -e $target -m > $RESULTS/refused$n.ref 2>&1; echo $? >> $RESULTS/refused$n.ref
    $R --drain-server $target > $RESULTS/refused$n.rs 2>&1; echo $? >> $RESULTS/refused$n.rs
done

# TCP: the client holds a connection without reading the greeting, then
# closes it (unread data: a reset, so the entry goes to CLOSE, 10 s).
ip netns exec client bash -c 'exec 3<>/dev/tcp/10.10.0.100/80; sleep 12; cut -d" " -f1 /proc/uptime > /tmp/tcp.closed; exec 3>&-' &
sleep 2
$A -Ln -t 10.10.0.100:80 > $RESULTS/tcp.before
$R --drain-server -t 10.10.0.100:80 -r 10.20.0.1:80 --wait 2 > $RESULTS/tcp.short; echo $? > $RESULTS/tcp.short.rc
$A -Ln -t 10.10.0.100:80 > $RESULTS/tcp.after-short
$R --drain-server -t 10.10.0.100:80 -r 10.20.0.1:80 --wait 120 > $RESULTS/tcp.long; echo $? > $RESULTS/tcp.long.rc
now > $RESULTS/tcp.drained; cp /tmp/tcp.closed $RESULTS/tcp.closed
$A -Ln -t 10.10.0.100:80 > $RESULTS/tcp.after

# UDP: three datagrams from three source ports, three entries (8 s each).
for i in 1 2 3; do ip netns exec client bash -c 'echo query > /dev/udp/10.10.0.100/53'; done
now > $RESULTS/udp.sent
$R --drain-server -u 10.10.0.100:53 -r 10.20.0.1:53 --wait 1 > $RESULTS/udp.short; echo $? > $RESULTS/udp.short.rc
$A -Ln -u 10.10.0.100:53 > $RESULTS/udp.after-short
$R --drain-server -u 10.10.0.100:53 -r 10.20.0.1:53 --wait 60 > $RESULTS/udp.long; echo $? > $RESULTS/udp.long.rc
now > $RESULTS/udp.drained
$A -Ln -u 10.10.0.100:53 > $RESULTS/udp.after

# Persistence: one short connection (reset at once, so 10 s in CLOSE)
# leaves a template that outlives it: it expires 15 s after its last use.
# (A template whose time comes while its connection lives is given 60 s
# more by the kernel: a shorter persistence would make this test slow.)
ip netns exec client bash -c 'exec 3<>/dev/tcp/10.10.0.100/81; sleep 1; exec 3>&-'
$R --drain-server -t 10.10.0.100:81 -r 10.20.0.1:81 --wait 2 > $RESULTS/persist.short; echo $? > $RESULTS/persist.short.rc
$A -Ln -t 10.10.0.100:81 > $RESULTS/persist.after-short
$R --drain-server -t 10.10.0.100:81 -r 10.20.0.1:81 --wait 60 > $RESULTS/persist.long; echo $? > $RESULTS/persist.long.rc
$A -Ln -t 10.10.0.100:81 > $RESULTS/persist.after

# Ctrl-C during the wait leaves the real server at weight 0.
ip netns exec client bash -c 'exec 3<>/dev/tcp/10.10.0.100/82; sleep 30; exec 3>&-' &
sleep 2
$R --drain-server -t 10.10.0.100:82 -r 10.20.0.1:82 --wait 60 > $RESULTS/int.out 2> $RESULTS/int.err &
pid=$!
sleep 3; kill -INT $pid; wait $pid; echo $? > $RESULTS/int.rc
$A -Ln -t 10.10.0.100:82 > $RESULTS/int.after
