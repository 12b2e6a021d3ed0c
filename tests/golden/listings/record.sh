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
done <<< "$LISTING_FORMS"
ip netns exec g ipvsadm-rs -Ln --json --nosort > $RESULTS/table.json
