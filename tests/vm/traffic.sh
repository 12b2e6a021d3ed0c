# Real traffic through IPVS (run by tests/vm/main.rs): client, load balancer
# and real-server namespaces joined by veth; TCP and UDP through NAT services.
source /testbed/lib.sh
lb_topology
A="ip netns exec lb /sbin/ipvsadm"
$A -A -t 10.10.0.100:80 -s rr
$A -a -t 10.10.0.100:80 -r 10.20.0.1:80 -m
$A -A -u 10.10.0.100:53 -s rr
$A -a -u 10.10.0.100:53 -r 10.20.0.1:53 -m
ip netns exec server sh -c 'while true; do echo hello-from-server | busybox nc -l -p 80 >/dev/null; done' &
sleep 1
ok=0
for i in $(seq 1 15); do
    listening server 80
    r=$(echo ping | ip netns exec client busybox nc -w 2 10.10.0.100 80)
    [ "$r" = hello-from-server ] && ok=$((ok + 1))
done
echo $ok > $RESULTS/tcp.ok
# UDP: the real server has no listener; the datagrams still cross IPVS.
for i in $(seq 1 5); do ip netns exec client bash -c 'echo dns > /dev/udp/10.10.0.100/53'; done
# The traffic has stopped when the kernel's totals (line 3 of ip_vs_stats;
# the rates below them keep decaying) stay the same for 3 s. On this kernel
# the reported counters are summed by the rate estimator every 2 s, so they
# move in jumps: a shorter wait can fall between two of them.
totals() { ip netns exec lb sed -n 3p /proc/net/ip_vs_stats; }
for i in $(seq 1 20); do
    before=$(totals); sleep 3
    [ "$before" = "$(totals)" ] && break
done
for form in "-Ln --stats" "-Ln --stats --exact" "-Ln" "-Ln --persistent-conn"; do
    n=$((n + 1))
    $A $form > $RESULTS/$n.ref
    ip netns exec lb ipvsadm-rs $form > $RESULTS/$n.rs
    echo "$form" > $RESULTS/$n.form
done
# -c twice each, the expiry column masked (it counts down between calls)
mask() { sed -E 's/^([A-Z]+ +)[0-9]+:[0-9]+/\1mm:ss/'; }
$A -Lnc | mask > $RESULTS/conn.ref
ip netns exec lb ipvsadm-rs -Lnc | mask > $RESULTS/conn.rs
$A -Lnc --persistent-conn | mask > $RESULTS/connpc.ref
ip netns exec lb ipvsadm-rs -Lnc --persistent-conn | mask > $RESULTS/connpc.rs
ip netns exec lb ipvsadm-rs -Lc --json > $RESULTS/conn.json
echo $n > $RESULTS/forms
