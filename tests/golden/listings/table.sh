# A varied IPVS table (sourced by the VM tests and by record.sh): every
# service kind, persistence with masks, PE, one-packet, scheduler flags,
# every forwarding method and tunnel type, weights 0, thresholds, addresses
# that make ipvsadm's wrapping sort comparator matter, host and port names
# known to the VM's /etc/hosts and /etc/services.
build_table() {
    local ns=$1
    local a="ip netns exec $ns /sbin/ipvsadm"
    $a -A -t 192.168.1.1:80 -s rr
    $a -A -t 10.0.0.1:80 -s wrr -p 120 -M 255.255.255.0
    $a -A -t 10.0.0.1:443 -s sh -b sh-fallback,sh-port
    $a -A -t 200.0.0.1:80 -s mh -b mh-port
    $a -A -u 1.0.0.1:53 -s rr -o
    $a -A -u 10.0.0.2:5060 -s sh -b flag-3 -p 60 --pe sip
    $a -A --sctp-service 10.0.0.3:3868 -s lc
    $a -A -t [2001:db8::1]:443 -s wlc -p 300 -M 64
    $a -A -t 10.1.2.3:80 -s rr
    $a -A -f 3000000000 -s rr
    $a -A -f 1
    $a -A -f 100 -6 -s mh -p
    $a -a -t 192.168.1.1:80 -r 192.168.0.1:80 -g
    $a -a -t 192.168.1.1:80 -r 172.16.0.1:80 -g -w 5
    $a -a -t 192.168.1.1:80 -r 1.1.1.1 -i
    $a -a -t 192.168.1.1:80 -r 10.0.0.9:80 -m -w 0
    $a -a -t 192.168.1.1:80 -r 10.0.0.9:8080 -m -x 100 -y 10
    $a -a -t 10.0.0.1:80 -r 127.0.0.1 -g
    $a -a -t 10.0.0.1:443 -r 10.1.2.4:443 -m -w 2147483647
    $a -a -u 1.0.0.1:53 -r 10.0.0.20:53 -i --tun-type gue --tun-port 6080 --tun-csum
    $a -a -u 1.0.0.1:53 -r 10.0.0.21:53 -i --tun-type gre --tun-nocsum
    $a -a -u 1.0.0.1:53 -r 10.0.0.22:53 -i --tun-type gue --tun-port 6081 --tun-remcsum
    $a -a -u 10.0.0.2:5060 -r 10.0.0.30:5060 -m -w 0
    $a -a --sctp-service 10.0.0.3:3868 -r 10.0.0.40:3868 -m
    $a -a -t [2001:db8::1]:443 -r [2001:db8:ffff:ffff:ffff:ffff:ffff:fff1]:443 -m
    $a -a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 3
    $a -a -t [2001:db8::1]:443 -r 10.0.0.50 -i
    $a -a -t 10.1.2.3:80 -r 10.1.2.5:80 -m
    $a -a -f 3000000000 -r 10.9.9.9 -g -w 10
    $a -a -f 100 -6 -r 2001:db8::99 -g
}
# The listing forms compared (one per line, as ipvsadm arguments).
LISTING_FORMS='-Ln
-L
-Sn
-S
-Ln --stats
-Ln --stats --exact
-Ln --rate
-Ln --rate --exact
-Ln --thresholds
-Ln --persistent-conn
-Ln --tun-info
-Ln --nosort
-L --tun-info --thresholds
-Ln --stats --rate --thresholds
-Ln -t 192.168.1.1:80
-L -t [2001:db8::1]:443 --thresholds
-Ln -f 100 -6
-Ln -f 3000000000 --stats
-Ln -u 1.0.0.1:53 --tun-info
-L --timeout
-L --daemon'
