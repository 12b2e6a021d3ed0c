# Recorded into tests/golden/netlink/session.trace by:
#   bash tests/vm/testbed.sh run --ipvsadm-rs target/release/ipvsadm-rs tests/golden/netlink/session.sh OUT
#   cp OUT/results/session.trace tests/golden/netlink/
source /testbed/lib.sh
mkns g
T=$RESULTS/session.trace
step() { echo "# ipvsadm-rs $*" >> $T; IPVSADM_RS_NETLINK_TRACE=$T ip netns exec g ipvsadm-rs "$@" >/dev/null 2>&1; echo "# status $?" >> $T; }
step --start-daemon master --mcast-interface dummy0 --syncid 3 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 5
step -L --daemon
step --stop-daemon master
step -A -t 10.0.0.1:80 -s rr
step -A -u [2001:db8::1]:53 -s sh -b sh-port,sh-fallback -p 100 -M 64 -o --pe sip
step -A -f 7 -6 -s mh -p
step -a -t 10.0.0.1:80 -r 192.168.1.20:8080 -m -w 3 -x 100 -y 10
step -a -u [2001:db8::1]:53 -r 10.1.1.5 -i --tun-type gue --tun-port 6080 --tun-csum
step -A -t 10.0.0.1:80
step -Ln
step -L -n -t 10.0.0.1:80
step --set 100 20 30
step -L --timeout
step -Z -t 10.0.0.1:80
step -d -t 10.0.0.1:80 -r 192.168.1.20:8080
step -e -t 10.0.0.1:80 -r 10.9.9.9
step -D -t 10.0.0.1:80
step -C
