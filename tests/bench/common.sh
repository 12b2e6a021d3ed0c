# Helpers both benchmark payloads source inside the VM (/work/common.sh).
settle() {  # wait (30 s at most) until the CPUs were 97% idle over half a second
    local tries=0 before after
    while [ $tries -lt 60 ]; do
        before=$(head -n 1 /proc/stat)
        sleep 0.5
        after=$(head -n 1 /proc/stat)
        # Fields of the "cpu" line: user nice system idle iowait irq ...
        echo "$before $after" | busybox awk '{ for (i = 2; i <= 11; i++) { t1 += $i; t2 += $(i + 11) }
            exit !(($16 + $17 - $5 - $6) >= 0.97 * (t2 - t1)) }' && return
        tries=$((tries + 1))
    done
}
