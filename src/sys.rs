//! The C library's resolver and address parsers, which ipvsadm's behaviour is
//! defined by (`inet_aton`'s odd forms, `gethostbyname`'s first address,
//! `getservbyname` for a protocol). The only `unsafe` code in the project.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::raw::{c_char, c_int, c_void};

extern "C" {
    fn inet_aton(cp: *const c_char, inp: *mut u32) -> c_int;
    fn inet_pton(af: c_int, src: *const c_char, dst: *mut c_void) -> c_int;
    fn gethostbyname_r(
        name: *const c_char,
        ret: *mut libc::hostent,
        buf: *mut c_char,
        buflen: libc::size_t,
        result: *mut *mut libc::hostent,
        h_errnop: *mut c_int,
    ) -> c_int;
    fn gethostbyaddr_r(
        addr: *const c_void,
        len: libc::socklen_t,
        kind: c_int,
        ret: *mut libc::hostent,
        buf: *mut c_char,
        buflen: libc::size_t,
        result: *mut *mut libc::hostent,
        h_errnop: *mut c_int,
    ) -> c_int;
    fn getservbyname_r(
        name: *const c_char,
        proto: *const c_char,
        ret: *mut libc::servent,
        buf: *mut c_char,
        buflen: libc::size_t,
        result: *mut *mut libc::servent,
    ) -> c_int;
    fn getservbyport_r(
        port: c_int,
        proto: *const c_char,
        ret: *mut libc::servent,
        buf: *mut c_char,
        buflen: libc::size_t,
        result: *mut *mut libc::servent,
    ) -> c_int;
}

/// C strings end at the first NUL; argv words and restore tokens are C strings in ipvsadm.
fn c_string(s: &str) -> CString {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).expect("no interior NUL after truncation")
}

/// Retry a `*_r` call with a larger buffer while it reports ERANGE.
fn with_buffer<T>(mut call: impl FnMut(&mut [c_char]) -> Result<Option<T>, c_int>) -> Option<T> {
    let mut size = 1024;
    loop {
        let mut buf = vec![0 as c_char; size];
        match call(&mut buf) {
            Ok(found) => return found,
            Err(libc::ERANGE) if size < 1 << 20 => size *= 4,
            Err(_) => return None,
        }
    }
}

/// glibc `inet_aton`: accepts `10.1`, `167772161`, `0x0a000001`, octal parts,
/// and ignores anything after a whitespace character.
pub(crate) fn parse_inet_aton(s: &str) -> Option<Ipv4Addr> {
    // A plain dotted quad means the same to inet_aton; skip the C call and
    // its allocation for it.
    if let Some(addr) = plain_dotted_quad(s) {
        return Some(addr);
    }
    c_inet_aton(s)
}

fn c_inet_aton(s: &str) -> Option<Ipv4Addr> {
    let c = c_string(s);
    let mut out: u32 = 0;
    // SAFETY: `c` is a valid NUL-terminated string and `out` a valid in_addr.
    let ok = unsafe { inet_aton(c.as_ptr(), &mut out) };
    (ok != 0).then(|| Ipv4Addr::from(u32::from_be(out)))
}

/// Four decimal parts of 0 to 255 without leading zeros (inet_aton reads
/// `010` as octal, so those go to the C call), or None.
fn plain_dotted_quad(s: &str) -> Option<Ipv4Addr> {
    match plain_dotted_quad_prefix(s.as_bytes())? {
        (addr, end) if end == s.len() => Some(addr),
        _ => None,
    }
}

/// A plain dotted quad (as [`plain_dotted_quad`] reads it) at the start of
/// `bytes`, and where it ends; None if `bytes` does not start with one or
/// a digit follows it.
pub(crate) fn plain_dotted_quad_prefix(bytes: &[u8]) -> Option<(Ipv4Addr, usize)> {
    // Digit by digit, without loops: restores read two addresses on most
    // of their lines.
    let digit = |i: usize| match bytes.get(i) {
        Some(&b) if b.is_ascii_digit() => Some(u32::from(b - b'0')),
        _ => None,
    };
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, octet) in octets.iter_mut().enumerate() {
        if n > 0 {
            if bytes.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let mut value = digit(i)?;
        i += 1;
        if let Some(second) = digit(i) {
            // A leading zero is octal to inet_aton: that goes to the C call.
            if value == 0 {
                return None;
            }
            value = value * 10 + second;
            i += 1;
            if let Some(third) = digit(i) {
                value = value * 10 + third;
                i += 1;
            }
        }
        *octet = u8::try_from(value).ok()?;
    }
    if digit(i).is_some() {
        return None;
    }
    Some((Ipv4Addr::from(octets), i))
}

/// glibc `inet_pton(AF_INET, ...)`: strict dotted quad.
pub(crate) fn parse_inet_pton4(s: &str) -> Option<Ipv4Addr> {
    // Dotted IPv4 text has dots: the kernel's hex addresses of
    // /proc/net/ip_vs_conn are not worth a C call (and its allocation).
    if !s.contains('.') {
        return None;
    }
    let c = c_string(s);
    let mut out = [0u8; 4];
    // SAFETY: valid string, 4-byte destination as AF_INET requires.
    let ok = unsafe { inet_pton(libc::AF_INET, c.as_ptr(), out.as_mut_ptr().cast()) };
    (ok > 0).then(|| Ipv4Addr::from(out))
}

/// glibc `inet_pton(AF_INET6, ...)`.
pub(crate) fn parse_inet_pton6(s: &str) -> Option<Ipv6Addr> {
    // Every IPv6 text has a colon, and a dot only in an embedded IPv4 tail
    // after one: `10.0.0.1:80` is not worth a C call (and its allocation).
    match (s.find(':'), s.find('.')) {
        (None, _) => return None,
        (Some(colon), Some(dot)) if dot < colon => return None,
        _ => {}
    }
    let c = c_string(s);
    let mut out = [0u8; 16];
    // SAFETY: valid string, 16-byte destination as AF_INET6 requires.
    let ok = unsafe { inet_pton(libc::AF_INET6, c.as_ptr(), out.as_mut_ptr().cast()) };
    (ok > 0).then(|| Ipv6Addr::from(out))
}

/// A glibc `get*_r` look-up: a zeroed entry, a buffer that grows on ERANGE,
/// and `read` taking the answer out of the entry (before the buffer, which
/// the entry points into, is dropped).
fn reentrant<E, T>(
    mut call: impl FnMut(&mut E, &mut [c_char], &mut *mut E) -> c_int,
    read: impl Fn(&E) -> Option<T>,
) -> Option<T> {
    with_buffer(|buf| {
        // SAFETY: E is hostent or servent, plain C structs for which all
        // zeroes is a valid value.
        let mut ent: E = unsafe { std::mem::zeroed() };
        let mut result: *mut E = std::ptr::null_mut();
        match call(&mut ent, buf, &mut result) {
            0 if result.is_null() => Ok(None),
            0 => Ok(read(&ent)),
            rc => Err(rc),
        }
    })
}

/// A C string from a look-up result, copied out.
fn owned(p: *const c_char) -> Option<String> {
    // SAFETY: glibc's entries hold NUL-terminated strings (or NULL).
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// `gethostbyname()`: the first IPv4 address of a host name (ipvsadm's `host_to_addr`).
pub(crate) fn resolve_host_v4(name: &str) -> Option<Ipv4Addr> {
    // Fuzzing: every name would ask DNS, which takes milliseconds (or a
    // time-out) and answers differently from run to run.
    if cfg!(fuzzing) {
        return (name == "localhost").then_some(Ipv4Addr::LOCALHOST);
    }
    let c = c_string(name);
    reentrant(
        |ent, buf, result| {
            let mut h_errno: c_int = 0;
            // SAFETY: valid string, entry, buffer and out-pointers.
            unsafe {
                gethostbyname_r(
                    c.as_ptr(),
                    ent,
                    buf.as_mut_ptr(),
                    buf.len(),
                    result,
                    &mut h_errno,
                )
            }
        },
        |ent: &libc::hostent| {
            if ent.h_addrtype != libc::AF_INET || ent.h_addr_list.is_null() {
                return None;
            }
            // SAFETY: h_addr_list is a NULL-terminated array of 4-byte
            // addresses for AF_INET, inside the live buffer.
            unsafe {
                let first = *ent.h_addr_list;
                (!first.is_null()).then(|| {
                    let mut octets = [0u8; 4];
                    std::ptr::copy_nonoverlapping(first.cast::<u8>(), octets.as_mut_ptr(), 4);
                    Ipv4Addr::from(octets)
                })
            }
        },
    )
}

/// `gethostbyaddr()`: the official name of an address, if the resolver knows one.
pub(crate) fn host_name(addr: IpAddr) -> Option<String> {
    let (bytes, family): (Vec<u8>, c_int) = match addr {
        IpAddr::V4(a) => (a.octets().to_vec(), libc::AF_INET),
        IpAddr::V6(a) => (a.octets().to_vec(), libc::AF_INET6),
    };
    reentrant(
        |ent, buf, result| {
            let mut h_errno: c_int = 0;
            // SAFETY: address bytes of the given family, valid out-pointers.
            unsafe {
                gethostbyaddr_r(
                    bytes.as_ptr().cast(),
                    bytes.len() as libc::socklen_t,
                    family,
                    ent,
                    buf.as_mut_ptr(),
                    buf.len(),
                    result,
                    &mut h_errno,
                )
            }
        },
        |ent: &libc::hostent| owned(ent.h_name),
    )
}

/// `getservbyname(name, proto)`: a port number from the services database.
pub(crate) fn service_port(name: &str, proto: &str) -> Option<u16> {
    let (c, p) = (c_string(name), c_string(proto));
    reentrant(
        // SAFETY: valid strings, entry, buffer and out-pointer.
        |ent, buf, result| unsafe {
            getservbyname_r(
                c.as_ptr(),
                p.as_ptr(),
                ent,
                buf.as_mut_ptr(),
                buf.len(),
                result,
            )
        },
        |ent: &libc::servent| Some(u16::from_be(ent.s_port as u16)),
    )
}

/// `getservbyport(port, proto)`: the service name of a port.
pub(crate) fn service_name(port: u16, proto: &str) -> Option<String> {
    let p = c_string(proto);
    reentrant(
        // SAFETY: valid string, entry, buffer and out-pointer.
        |ent, buf, result| unsafe {
            getservbyport_r(
                c_int::from(port.to_be()),
                p.as_ptr(),
                ent,
                buf.as_mut_ptr(),
                buf.len(),
                result,
            )
        },
        |ent: &libc::servent| owned(ent.s_name),
    )
}

/// Wait until `fd` is readable or `timeout` passes (`poll(2)`); Ok(false) on timeout.
pub(crate) fn wait_readable(
    fd: std::os::unix::io::RawFd,
    timeout: std::time::Duration,
) -> std::io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
    loop {
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc >= 0 {
            return Ok(rc > 0);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// C `strerror()` text for an errno value, without Rust's " (os error N)".
pub(crate) fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

extern "C" {
    fn inet_ntop(
        af: c_int,
        src: *const c_void,
        dst: *mut c_char,
        size: libc::socklen_t,
    ) -> *const c_char;
}

/// glibc `inet_ntop(AF_INET6, ...)`: its compression rules (e.g. `::1.2.3.4`
/// for IPv4-compatible addresses) differ from Rust's `Display`.
pub(crate) fn format_inet_ntop6(addr: &Ipv6Addr) -> String {
    let octets = addr.octets();
    let mut buf = [0 as c_char; 64];
    // SAFETY: 16-byte source for AF_INET6, 64-byte destination (INET6_ADDRSTRLEN is 46).
    let p = unsafe { inet_ntop(libc::AF_INET6, octets.as_ptr().cast(), buf.as_mut_ptr(), 64) };
    if p.is_null() {
        return addr.to_string();
    }
    // SAFETY: on success inet_ntop wrote a NUL-terminated string into `buf`.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// `setsockopt(fd, level, name, &int)`; used for SOL_NETLINK options and
/// SO_RCVBUFFORCE, which neli does not wrap.
pub(crate) fn set_int_option(
    fd: std::os::unix::io::RawFd,
    level: c_int,
    name: c_int,
    value: c_int,
) -> std::io::Result<()> {
    // SAFETY: a valid int and its size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const c_int).cast(),
            std::mem::size_of::<c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// An IPv4 datagram socket that only carries IPVS's `getsockopt` calls:
/// the kernel hands IPVS's options over from any IPv4 socket, and unlike
/// the raw socket ipvsadm's old code used, this one needs no CAP_NET_RAW.
pub(crate) fn inet_datagram_socket() -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket(2) with constant arguments.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// `getsockopt(fd, level, name, buf, &len)` with `len` the whole buffer:
/// IPVS reads its request from the start of `buf` and writes the answer
/// over it. Returns the length the kernel reports.
pub(crate) fn get_socket_option(
    fd: std::os::unix::io::RawFd,
    level: c_int,
    name: c_int,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    let mut len = libc::socklen_t::try_from(buf.len())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `buf` is valid for `len` bytes of reads and writes.
    let rc = unsafe { libc::getsockopt(fd, level, name, buf.as_mut_ptr().cast(), &mut len) };
    if rc == 0 {
        Ok(len as usize)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Ask glibc's malloc to grow its heaps 64 MiB at a time and to keep
/// blocks up to 32 MiB on them. Big restores and listings allocate tens of
/// megabytes in a burst; where transparent huge pages are on (Debian's
/// default), so large a heap is backed by 2 MiB pages, one page fault each
/// instead of one per 4 KiB (the README's Speed section has the effect).
/// Small commands touch as little as before.
pub fn allocate_in_large_steps() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets malloc's tuning parameters.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

/// The running kernel's release, as `uname -r` prints it.
pub(crate) fn kernel_release() -> Option<String> {
    // SAFETY: uname(2) fills the zeroed struct it is given; the release
    // field is a NUL-terminated C string within it.
    let release = unsafe {
        let mut names: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut names) != 0 {
            return None;
        }
        std::ffi::CStr::from_ptr(names.release.as_ptr()).to_owned()
    };
    release.into_string().ok()
}

/// Move the calling thread into the network namespace of the file at
/// `path` (threads it starts later follow it).
pub(crate) fn enter_network_namespace(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(path)?;
    // SAFETY: setns(2) on a descriptor that stays open for the call.
    let done = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Move the calling thread alone into a new, empty network namespace,
/// which the kernel removes when the thread and its sockets are gone.
pub(crate) fn enter_new_network_namespace() -> std::io::Result<()> {
    // SAFETY: unshare(2) takes no pointers.
    let done = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Bring the loopback interface of the calling thread's network namespace
/// up (`ip link set lo up`): a new namespace has no local routing table
/// until an interface has an address, and the kernel refuses to add any
/// IPv4 real server there.
pub(crate) fn bring_loopback_up() -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let socket = inet_datagram_socket()?;
    // SAFETY: ifreq is plain data; ioctl(2) reads and writes the struct it
    // is given, whose name field holds the NUL-terminated "lo".
    let done = unsafe {
        let mut request: libc::ifreq = std::mem::zeroed();
        for (to, from) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *to = *from as c_char;
        }
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) != 0 {
            -1
        } else {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request)
        }
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The network namespace a namespace file (`/proc/.../ns/net`) stands
/// for, as its device and inode; None when it cannot be read.
pub(crate) fn namespace_id(path: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

static TERMINATION: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn remember_signal(signal: c_int) {
    TERMINATION.store(signal, std::sync::atomic::Ordering::SeqCst);
}

/// From now on, SIGTERM, SIGINT and SIGHUP are remembered instead of ending
/// the process, so a restore can undo what it applied before exiting.
pub(crate) fn defer_termination_signals() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic (async-signal-safe).
        unsafe {
            libc::signal(signal, remember_signal as *const () as libc::sighandler_t);
        }
    }
}

/// The termination signal received since `defer_termination_signals`, if any.
pub(crate) fn termination_requested() -> Option<i32> {
    match TERMINATION.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// End as ipvsadm ends when its reader went away (`ipvsadm -Ln | head -1`):
/// killed by SIGPIPE, silently (a shell reports status 141). Rust ignores
/// SIGPIPE, so the write failed with EPIPE instead; put the default action
/// back and raise it.
pub fn end_by_broken_pipe() -> ! {
    // SAFETY: plain signal(2) and raise(3) calls with valid arguments.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(128 + libc::SIGPIPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_aton_accepts_the_classic_forms() {
        for (text, expected) in [
            ("10.0.0.1", Some([10, 0, 0, 1])),
            ("10.1", Some([10, 0, 0, 1])),
            ("167772161", Some([10, 0, 0, 1])),
            ("0x0a000001", Some([10, 0, 0, 1])),
            ("012.0.0.01", Some([10, 0, 0, 1])),
            ("24", Some([0, 0, 0, 24])),
            ("1.2.3.4.5", None),
            ("1.2.3.256", None),
            ("", None),
        ] {
            assert_eq!(
                parse_inet_aton(text),
                expected.map(Ipv4Addr::from),
                "{text}"
            );
        }
    }

    #[test]
    fn the_dotted_quad_fast_path_agrees_with_inet_aton() {
        for text in [
            "10.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "9.99.199.250",
            "1.2.3.4567",
            "1.2.3.45.6",
            "0.00.0.0",
            "1.2.3.04",
            "01.2.3.4",
            "1.2.3.256",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3",
            "1..2.3",
            "1.2.3.4 ",
            "1.2.3.-4",
            "1000.2.3.4",
            "192.168.001.1",
            "9.9.9.9x",
        ] {
            if let Some(fast) = plain_dotted_quad(text) {
                assert_eq!(Some(fast), c_inet_aton(text), "{text}");
            }
            assert_eq!(parse_inet_aton(text), c_inet_aton(text), "{text}");
        }
        assert!(plain_dotted_quad("10.0.0.1").is_some());
    }

    #[test]
    fn inet_pton_is_strict() {
        assert_eq!(parse_inet_pton4("224.0.0.81"), "224.0.0.81".parse().ok());
        assert_eq!(parse_inet_pton4("10.1"), None);
        for (text, expected) in [
            ("::1", "::1".parse().ok()),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4".parse().ok()),
            ("1.2.3.4", None),
            ("1.2.3.4:80", None),
        ] {
            assert_eq!(parse_inet_pton6(text), expected, "{text}");
        }
    }

    #[test]
    fn services_database_lookups_depend_on_the_protocol() {
        // netbase's /etc/services (installed by .ci/run): http is 80/tcp only.
        assert_eq!(service_port("http", "tcp"), Some(80));
        assert_eq!(service_port("domain", "udp"), Some(53));
        assert_eq!(service_port("http-alt", "udp"), None);
        assert_eq!(service_port("no-such-service", "tcp"), None);
        assert_eq!(service_name(80, "tcp").as_deref(), Some("http"));
        assert_eq!(resolve_host_v4("1.2.3.4"), Some(Ipv4Addr::new(1, 2, 3, 4)));
        // /etc/hosts always knows localhost
        assert_eq!(resolve_host_v4("localhost"), Some(Ipv4Addr::LOCALHOST));
        let localhost = host_name(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(localhost.as_deref(), Some("localhost"));
    }
}
