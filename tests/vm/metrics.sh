# -L --prometheus on varied tables with real traffic (run by
# tests/vm/metrics.rs), the metrics unit's command, and node_exporter's
# textfile collector serving what it wrote.
source /testbed/lib.sh
lb_topology
R="ipvsadm-rs --netns lb"
$R -A -t 10.10.0.100:80 -s rr
$R -a -t 10.10.0.100:80 -r 10.20.0.1:80 -m -w 3 -x 100 -y 10
$R -A -u 10.10.0.100:53 -s rr
$R -a -u 10.10.0.100:53 -r 10.20.0.1:53 -m -w 0
$R -A -t 10.10.0.100:81 -s wlc -p 30
$R -A -t [2001:db8::1]:443 -s wlc
$R -a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m
$R -A -f 7 -s rr
$R -a -f 7 -r 10.20.0.1 -g -w 2
$R -A -f 7 -6 -s rr
$R -A --sctp-service 10.10.0.100:3868 -s lc
$R -a --sctp-service 10.10.0.100:3868 -r 10.20.0.9:3868 -i --tun-type gue --tun-port 6080 --tun-csum
$R -a --sctp-service 10.10.0.100:3868 -r 10.20.0.8:3868 -i --tun-type gre
ip netns exec server sh -c 'while true; do echo hello | busybox nc -l -p 80 >/dev/null; done' &
sleep 1
for i in $(seq 1 10); do listening server 80; echo ping | ip netns exec client busybox nc -w 2 10.10.0.100 80 > /dev/null; done
for i in 1 2 3; do ip netns exec client bash -c 'echo query > /dev/udp/10.10.0.100/53'; done
# Until the kernel's totals stop moving (its estimator sums them every 2 s).
totals() { ip netns exec lb sed -n 3p /proc/net/ip_vs_stats; }
for i in $(seq 1 20); do
    before=$(totals); sleep 3
    [ "$before" = "$(totals)" ] && break
done
$R -L --prometheus > $RESULTS/all.prom; echo $? > $RESULTS/all.rc
$R -L --json > $RESULTS/table.json
$R -L --prometheus services > $RESULTS/services.prom
$R -L --orphans --prometheus > $RESULTS/orphans.prom; echo $? > $RESULTS/orphans.rc
$R -L --orphans --json > $RESULTS/orphans.json
$R -Ln --orphans > $RESULTS/orphans.txt
ipvsadm-rs -L --prometheus > $RESULTS/root.prom
# The metrics unit's command as shipped, run in lb; node_exporter serves it.
mkdir -p /var/lib/prometheus/node-exporter
# The unit runs /bin/sh, which this busybox root may lack.
[ -e /bin/sh ] || ln -s "$(command -v busybox)" /bin/sh
command=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" /work/ipvsadm-rs-metrics.service)
ip netns exec lb /bin/sh -c "$command"; echo $? > $RESULTS/unit.rc
ls /var/lib/prometheus/node-exporter > $RESULTS/unit.files
/work/prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
    --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory=/var/lib/prometheus/node-exporter > /tmp/node-exporter.log 2>&1 &
exporter=$!
for i in $(seq 1 30); do
    wget -q -O $RESULTS/scraped.txt http://127.0.0.1:9100/metrics && break
    sleep 1
done
kill $exporter
cp /tmp/node-exporter.log $RESULTS/
