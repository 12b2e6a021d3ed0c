complete -c ipvsadm-rs -l start-daemon -d 'start connection sync daemon' -r -f -a "master\t''
backup\t''"
complete -c ipvsadm-rs -l stop-daemon -d 'stop connection sync daemon' -r -f -a "master\t''
backup\t''"
complete -c ipvsadm-rs -s t -l tcp-service -d 'service-address is host[:port]' -r
complete -c ipvsadm-rs -s u -l udp-service -d 'service-address is host[:port]' -r
complete -c ipvsadm-rs -l sctp-service -d 'service-address is host[:port]' -r
complete -c ipvsadm-rs -s f -l fwmark-service -d 'fwmark is an integer greater than zero' -r
complete -c ipvsadm-rs -s s -l scheduler -d 'one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh, the default scheduler is wlc.' -r -f -a "rr\t''
wrr\t''
lc\t''
wlc\t''
lblc\t''
lblcr\t''
dh\t''
sh\t''
sed\t''
nq\t''
fo\t''
ovf\t''
mh\t''"
complete -c ipvsadm-rs -l pe -d 'alternate persistence engine may be sip, not set by default.' -r -f -a "sip\t''"
complete -c ipvsadm-rs -s p -l persistent -d 'persistent service' -r
complete -c ipvsadm-rs -s M -l netmask -d 'persistent granularity mask' -r
complete -c ipvsadm-rs -s r -l real-server -d 'server-address is host (and port)' -r
complete -c ipvsadm-rs -l tun-type -d 'one of ipip|gue|gre, the default tunnel type is ipip.' -r -f -a "ipip\t''
gue\t''
gre\t''"
complete -c ipvsadm-rs -l tun-port -d 'tunnel destination port' -r
complete -c ipvsadm-rs -s w -l weight -d 'capacity of real server' -r
complete -c ipvsadm-rs -s x -l u-threshold -d 'upper threshold of connections' -r
complete -c ipvsadm-rs -s y -l l-threshold -d 'lower threshold of connections' -r
complete -c ipvsadm-rs -l prometheus -d 'output metrics for Prometheus (services: without real-server series)' -r
complete -c ipvsadm-rs -s b -l sched-flags -d 'scheduler flags (comma-separated)' -r
complete -c ipvsadm-rs -l wait -d 'with --drain-server: the longest wait (default 300)' -r
complete -c ipvsadm-rs -l netns -d 'run in that network namespace (any command)' -r
complete -c ipvsadm-rs -l syncid -d 'syncid for connection sync (default=255)' -r
complete -c ipvsadm-rs -l sync-maxlen -d 'Max sync message length (default=1472)' -r
complete -c ipvsadm-rs -l mcast-interface -d 'multicast interface for connection sync' -r
complete -c ipvsadm-rs -l mcast-group -d 'IPv4/IPv6 group (default=224.0.0.81)' -r
complete -c ipvsadm-rs -l mcast-port -d 'UDP port (default=8848)' -r
complete -c ipvsadm-rs -l mcast-ttl -d 'Multicast TTL (default=1)' -r
complete -c ipvsadm-rs -s A -l add-service -d 'add virtual service with options'
complete -c ipvsadm-rs -s E -l edit-service -d 'edit virtual service with options'
complete -c ipvsadm-rs -s D -l delete-service -d 'delete virtual service'
complete -c ipvsadm-rs -s C -l clear -d 'clear the whole table'
complete -c ipvsadm-rs -s R -l restore -d 'restore rules from stdin'
complete -c ipvsadm-rs -s S -l save -d 'save rules to stdout'
complete -c ipvsadm-rs -s a -l add-server -d 'add real server with options'
complete -c ipvsadm-rs -s e -l edit-server -d 'edit real server with options'
complete -c ipvsadm-rs -s d -l delete-server -d 'delete real server'
complete -c ipvsadm-rs -s L -l list -d 'list the table'
complete -c ipvsadm-rs -l drain-server -d 'take a real server out: weight 0, wait for its connections, delete it'
complete -c ipvsadm-rs -s Z -l zero -d 'zero counters in a service or all services'
complete -c ipvsadm-rs -l set -d 'set connection timeout values'
complete -c ipvsadm-rs -s h -l help -d 'display this help message'
complete -c ipvsadm-rs -s v -l version
complete -c ipvsadm-rs -s 6 -l ipv6 -d 'fwmark entry uses IPv6'
complete -c ipvsadm-rs -s g -l gatewaying -d 'gatewaying (direct routing) (default)'
complete -c ipvsadm-rs -s i -l ipip -d 'ipip encapsulation (tunneling)'
complete -c ipvsadm-rs -s m -l masquerading -d 'masquerading (NAT)'
complete -c ipvsadm-rs -l tun-nocsum -d 'tunnel encapsulation without checksum'
complete -c ipvsadm-rs -l tun-csum -d 'tunnel encapsulation with checksum'
complete -c ipvsadm-rs -l tun-remcsum -d 'tunnel encapsulation with remote checksum'
complete -c ipvsadm-rs -s c -l connection -d 'output of current IPVS connections'
complete -c ipvsadm-rs -l timeout -d 'output of timeout (tcp tcpfin udp)'
complete -c ipvsadm-rs -l daemon -d 'output of daemon information'
complete -c ipvsadm-rs -l stats -d 'output of statistics information'
complete -c ipvsadm-rs -l rate -d 'output of rate information'
complete -c ipvsadm-rs -s X -l exact -d 'expand numbers (display exact values)'
complete -c ipvsadm-rs -l thresholds -d 'output of thresholds information'
complete -c ipvsadm-rs -l persistent-conn -d 'output of persistent connection info'
complete -c ipvsadm-rs -l tun-info -d 'output of tunnel information'
complete -c ipvsadm-rs -l orphans -d 'list only virtual services that have no real server or only weight-0 ones'
complete -c ipvsadm-rs -l json -d 'output the listing as one JSON document'
complete -c ipvsadm-rs -l nosort -d 'disable sorting output of service/server entries'
complete -c ipvsadm-rs -l sort -d 'does nothing, for backwards compatibility'
complete -c ipvsadm-rs -s o -l ops -d 'one-packet scheduling'
complete -c ipvsadm-rs -s n -l numeric -d 'numeric output of addresses and ports'
complete -c ipvsadm-rs -l check -d 'with -R: validate the input, apply nothing'
complete -c ipvsadm-rs -l replace -d 'with -R: make the table equal to the input'
complete -c ipvsadm-rs -l diff -d 'with -R --replace: print the changes (exit 3 when there are any)'
complete -c ipvsadm-rs -l full -d 'with -S: also thresholds, timeouts and sync daemons'
