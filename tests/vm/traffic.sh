# Real traffic through IPVS (run by tests/vm/main.rs): client, load balancer
# and real-server namespaces joined by veth; TCP and UDP through NAT services.
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
A="ip netns exec lb /sbin/ipvsadm"
$A -A -t 10.10.0.100:80 -s rr
$A -a -t 10.10.0.100:80 -r 10.20.0.1:80 -m
$A -A -u 10.10.0.100:53 -s rr
$A -a -u 10.10.0.100:53 -r 10.20.0.1:53 -m
ip netns exec server sh -c 'while true; do echo hello-from-server | busybox nc -l -p 80 >/dev/null; done' &
sleep 1
ok=0
for i in $(seq 1 15); do
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
