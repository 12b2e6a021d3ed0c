# Run in the VM (tests/vm/testbed.sh run --ipvsadm-rs ... record.sh OUT):
# builds the table, writes what the reference ipvsadm prints for every
# listing form (ref.N, with the form in forms.txt) and the table as
# ipvsadm-rs --json --nosort sees it (table.json, kernel order). The unit
# tests in src/print render table.json and compare with ref.N.
source /testbed/lib.sh
source /work/table.sh
mkns g
build_table g
printf '%s\n' "$LISTING_FORMS" > $RESULTS/forms.txt
n=0
while IFS= read -r form; do
    n=$((n + 1))
    ip netns exec g ipvsadm $form > $RESULTS/ref.$n 2>&1; echo $? >> $RESULTS/ref.$n.rc
    ip netns exec g ipvsadm-rs $form > $RESULTS/rs.$n 2>&1; echo $? >> $RESULTS/rs.$n.rc
    # the same listing from each real-server source, whatever the table's
    # shape would choose
    for source in netlink requests proc; do
        IPVSADM_RS_LIST_SOURCE=$source ip netns exec g ipvsadm-rs $form > $RESULTS/rs-$source.$n 2>&1
    done
done <<< "$LISTING_FORMS"
ip netns exec g ipvsadm-rs -Ln --json --nosort > $RESULTS/table.json
# JSON of the other listings, checked by the VM test against the text.
ip netns exec g ipvsadm --set 901 121 301
ip netns exec g ipvsadm -L --timeout > $RESULTS/timeout.ref
ip netns exec g ipvsadm-rs -L --timeout --json > $RESULTS/timeout.json
# (a daemon cannot start next to the table's mixed-family tunnel server)
mkns d
ip netns exec d ipvsadm --start-daemon master --mcast-interface dummy0 --syncid 5
ip netns exec d ipvsadm -L --daemon > $RESULTS/daemon.ref
ip netns exec d ipvsadm-rs -L --daemon --json > $RESULTS/daemon.json
