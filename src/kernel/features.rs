//! What the running kernel offers IPVS users, for `ipvsadm-rs -v` (so that
//! bug reports carry it): its release, and the schedulers its module tree
//! has (`twos` appeared in 6.12, `mh` in 4.18), read from the kernel's own
//! module index.

/// The schedulers named in a kernel's `modules.dep` and `modules.builtin`
/// (`.../ipvs/ip_vs_NAME.ko[.xz]`), sorted; the FTP helper and the SIP
/// persistence engine are not schedulers.
pub(crate) fn schedulers_in(modules_dep: &str, builtin: &str) -> Vec<String> {
    let mut names: Vec<String> = modules_dep
        .lines()
        .map(|l| l.split(':').next().unwrap_or(""))
        .chain(builtin.lines())
        .filter_map(|path| {
            let file = path.rsplit('/').next()?;
            let name = file.strip_prefix("ip_vs_")?.split(".ko").next()?;
            (!name.is_empty() && name != "ftp" && !name.starts_with("pe_"))
                .then(|| name.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The schedulers of the running kernel `release`, from its module index
/// under `/lib/modules`; empty when that cannot be read.
pub fn available_schedulers(release: &str) -> Vec<String> {
    let dir = std::path::Path::new("/lib/modules").join(release);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    schedulers_in(&read("modules.dep"), &read("modules.builtin"))
}

/// The running kernel's release (`uname -r`).
pub fn release() -> Option<String> {
    crate::sys::kernel_release()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedulers_come_from_the_module_index() {
        let dep = "kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n\
                   kernel/net/netfilter/ipvs/ip_vs_twos.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n\
                   kernel/net/netfilter/ipvs/ip_vs_ftp.ko: kernel/net/netfilter/ipvs/ip_vs.ko\n\
                   kernel/net/netfilter/ipvs/ip_vs_pe_sip.ko: kernel/net/netfilter/ipvs/ip_vs.ko\n\
                   kernel/net/netfilter/ipvs/ip_vs.ko: kernel/lib/libcrc32c.ko\n\
                   kernel/drivers/net/dummy.ko:\n";
        let builtin = "kernel/net/netfilter/ipvs/ip_vs_wlc.ko\n";
        assert_eq!(schedulers_in(dep, builtin), ["rr", "twos", "wlc"]);
        assert!(schedulers_in("", "").is_empty());
    }
}
