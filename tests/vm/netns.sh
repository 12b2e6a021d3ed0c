# --netns (run by tests/vm/netns.rs): two named namespaces (a, b) and one
# reached only by a path (/tmp/pathns, bound there by unshare, not under
# /var/run/netns). In each, ipvsadm-rs --netns makes the changes; the
# reference ipvsadm, run inside the namespace (ip netns exec, or nsenter
# for the path), lists them.
# Each with a dummy interface and default routes (lib.sh's mkns), so that
# every real-server address is routable.
source /testbed/lib.sh
mkns a; mkns b; mkns scratch
touch /tmp/pathns; unshare --net=/tmp/pathns true
routable nsenter --net=/tmp/pathns
inside() {  # inside NAMESPACE COMMAND...: run COMMAND in the namespace
    local ns=$1; shift
    case $ns in
        /*) nsenter --net=$ns "$@" ;;
        *) ip netns exec $ns "$@" ;;
    esac
}
n=0
for ns in a b /tmp/pathns; do
    n=$((n + 1))
    while read -r line; do
        ipvsadm-rs --netns $ns $line; echo "$line: $?" >> $RESULTS/changes.$n
    done < /work/changes.txt
    f=0
    while read -r form; do
        f=$((f + 1))
        ipvsadm-rs --netns $ns $form > $RESULTS/$n.$f.rs 2>&1; echo "rc $?" >> $RESULTS/$n.$f.rs
        inside $ns /sbin/ipvsadm $form > $RESULTS/$n.$f.ref 2>&1; echo "rc $?" >> $RESULTS/$n.$f.ref
        same listing.$n.$f $RESULTS/$n.$f.ref $RESULTS/$n.$f.rs
    done < /work/forms.txt
    echo $f > $RESULTS/forms
done
# The same changes made by the reference in a namespace of its own.
while read -r line; do ip netns exec scratch /sbin/ipvsadm $line; done < /work/changes.txt
dump() { inside $1 /sbin/ipvsadm -Sn; inside $1 /sbin/ipvsadm -Ln --thresholds; inside $1 /sbin/ipvsadm -L --timeout; }
dump scratch > $RESULTS/changes.want
n=0
for ns in a b /tmp/pathns; do
    n=$((n + 1)); dump $ns > $RESULTS/changes.got.$n
    same changes.$n $RESULTS/changes.want $RESULTS/changes.got.$n
done
# Restores: two at once, in a and b; then one in the path namespace.
ip netns exec scratch /sbin/ipvsadm -C
ip netns exec scratch /sbin/ipvsadm -R < /work/rules.txt
dump scratch > $RESULTS/restore.want
ipvsadm-rs --netns a -C; ipvsadm-rs --netns b -C; ipvsadm-rs --netns /tmp/pathns -C
ipvsadm-rs --netns a -R < /work/rules.txt & first=$!
ipvsadm-rs --netns b -R < /work/rules.txt & second=$!
wait $first; echo $? > $RESULTS/restore.a.rc; wait $second; echo $? > $RESULTS/restore.b.rc
ipvsadm-rs --netns /tmp/pathns -R < /work/rules.txt; echo $? > $RESULTS/restore.path.rc
n=0
for ns in a b /tmp/pathns; do
    n=$((n + 1)); dump $ns > $RESULTS/restore.got.$n
    same restore.$n $RESULTS/restore.want $RESULTS/restore.got.$n
done
# Writers lock per namespace: while a restore in a holds a's lock (it
# takes the lock, then waits 6 s for the end of its input), a restore in b
# goes through and a second one in a waits for the first.
(sleep 6; echo "-A -t 10.99.0.2:80") | ipvsadm-rs --netns a -R & holder=$!
sleep 1
start=$(cut -d' ' -f1 /proc/uptime)
echo "-A -t 10.99.0.1:80" | ipvsadm-rs --netns b -R; echo $? > $RESULTS/lock.b.rc
cut -d' ' -f1 /proc/uptime > $RESULTS/lock.b.end
echo "-A -t 10.99.0.1:80" | ipvsadm-rs --netns a -R; echo $? > $RESULTS/lock.a.rc
cut -d' ' -f1 /proc/uptime > $RESULTS/lock.a.end
echo $start > $RESULTS/lock.start
wait $holder; echo $? > $RESULTS/lock.holder.rc
# Namespaces that cannot be entered: nothing happens anywhere.
/sbin/ipvsadm -Sn > $RESULTS/root.before
ipvsadm-rs --netns nosuch -A -t 10.88.0.1:80 > $RESULTS/missing.out 2>&1; echo "rc $?" >> $RESULTS/missing.out
ipvsadm-rs --netns /tmp -Ln > $RESULTS/notns.out 2>&1; echo "rc $?" >> $RESULTS/notns.out
su nobody -c 'ipvsadm-rs --netns a -Ln' > $RESULTS/nobody.out 2>&1; echo "rc $?" >> $RESULTS/nobody.out
/sbin/ipvsadm -Sn > $RESULTS/root.after
same root $RESULTS/root.before $RESULTS/root.after
for ns in a b; do ip netns exec $ns /sbin/ipvsadm -Sn; done > $RESULTS/untouched
