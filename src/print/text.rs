//! Text building for big listings without `core::fmt`: a 100,000-line
//! listing spends most of its time in the formatting machinery, and under
//! emulation that is seconds. These helpers write what printf's `%u`, `%d`
//! and `%-Ns` would.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Where numbers and addresses go: listing text is built in a `String`,
/// JSON in bytes.
pub(crate) trait Digits {
    /// Appends one ASCII digit, sign or separator.
    fn push_ascii(&mut self, byte: u8);
}

impl Digits for String {
    fn push_ascii(&mut self, byte: u8) {
        self.push(char::from(byte));
    }
}

impl Digits for Vec<u8> {
    fn push_ascii(&mut self, byte: u8) {
        self.push(byte);
    }
}

/// `%llu`
pub(crate) fn push_unsigned(out: &mut impl Digits, v: u64) {
    // Most numbers of a listing are short: octets, ports, weights, counts.
    if v < 100_000 {
        let digit = |d: u64| b'0' + (d % 10) as u8;
        for power in [10_000, 1_000, 100, 10] {
            if v >= power {
                out.push_ascii(digit(v / power));
            }
        }
        out.push_ascii(digit(v));
    } else {
        push_long_unsigned(out, v);
    }
}

/// `%llu` of any number. Not inlined: its digit buffer would be set up
/// for every short number too.
#[inline(never)]
fn push_long_unsigned(out: &mut impl Digits, v: u64) {
    let (digits, at) = decimal(v);
    // Byte by byte: a number is a few digits, and `push_str` of a byte
    // slice would validate it as UTF-8 and call memcpy, twice the work.
    for &digit in &digits[at..] {
        out.push_ascii(digit);
    }
}

/// The decimal digits of `v`: they are `digits[at..]`.
fn decimal(mut v: u64) -> ([u8; 20], usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return (digits, at);
        }
    }
}

/// `%lld`
pub(crate) fn push_signed(out: &mut impl Digits, v: i64) {
    if v < 0 {
        out.push_ascii(b'-');
    }
    push_unsigned(out, v.unsigned_abs());
}

/// Spaces up to `width` bytes written since `start` (`out.len()` before
/// the field), as `%-Ns` pads: printf counts bytes, not characters, so a
/// host name in UTF-8 gets fewer spaces. A longer field is not cut.
pub(crate) fn pad_from(out: &mut String, start: usize, width: usize) {
    push_spaces(out, width.saturating_sub(out.len() - start));
}

fn push_spaces(out: &mut String, mut count: usize) {
    const SPACES: &str = "                                ";
    while count > 0 {
        let n = count.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        count -= n;
    }
}

/// `%Nllu`: right-aligned in `width`.
pub(crate) fn push_unsigned_right(out: &mut String, v: u64, width: usize) {
    push_spaces(out, width.saturating_sub(decimal_digits(v)));
    push_unsigned(out, v);
}

/// How many digits `%llu` writes for `v`.
pub(crate) fn decimal_digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// `%-Nd`
pub(crate) fn push_signed_left(out: &mut String, v: i64, width: usize) {
    let start = out.len();
    push_signed(out, v);
    pad_from(out, start, width);
}

/// `%-Nu`
pub(crate) fn push_unsigned_left(out: &mut String, v: u64, width: usize) {
    let start = out.len();
    push_unsigned(out, v);
    pad_from(out, start, width);
}

/// `%-Ns`
pub(crate) fn push_left(out: &mut String, text: &str, width: usize) {
    let start = out.len();
    out.push_str(text);
    pad_from(out, start, width);
}

/// `inet_ntoa`
pub(crate) fn push_ipv4(out: &mut impl Digits, addr: Ipv4Addr) {
    for (i, octet) in addr.octets().into_iter().enumerate() {
        if i > 0 {
            out.push_ascii(b'.');
        }
        push_unsigned(out, u64::from(octet));
    }
}

/// `inet_ntop(AF_INET6)` as glibc writes it: groups in lower-case hex
/// without leading zeros; the longest run of two or more zero groups (the
/// first of equal ones) as `::`; and the last 32 bits as a dotted quad
/// when the first 80 bits are zero and the next 16 are all zeros (but not
/// the whole address but its last group) or all ones.
pub(crate) fn push_ipv6(out: &mut impl Digits, addr: Ipv6Addr) {
    push_ipv6_as(out, addr, true);
}

/// Rust's `Display` of an IPv6 address (what serde writes in JSON): as
/// `inet_ntop`, but only an IPv4-mapped address (`::ffff:a.b.c.d`) ends in
/// a dotted quad; an IPv4-compatible one (`::a.b.c.d`) is written in hex.
pub(crate) fn push_ipv6_as_rust_displays(out: &mut impl Digits, addr: Ipv6Addr) {
    push_ipv6_as(out, addr, false);
}

/// `compatible_as_quad`: whether 96 zero bits also end in a dotted quad.
fn push_ipv6_as(out: &mut impl Digits, addr: Ipv6Addr, compatible_as_quad: bool) {
    let groups = addr.segments();
    let (zeros_at, zeros_len) = longest_zero_run(&groups);
    let mut i = 0;
    while i < 8 {
        if zeros_len >= 2 && i == zeros_at {
            out.push_ascii(b':');
            i += zeros_len;
            if i == 8 {
                out.push_ascii(b':');
            }
            continue;
        }
        if i != 0 {
            out.push_ascii(b':');
        }
        let mapped = zeros_len == 5 && groups[5] == 0xffff;
        let compatible = zeros_len == 6 && compatible_as_quad;
        if i == 6 && zeros_at == 0 && (mapped || compatible) {
            let [.., a, b, c, d] = addr.octets();
            push_ipv4(out, Ipv4Addr::new(a, b, c, d));
            return;
        }
        push_hex(out, groups[i]);
        i += 1;
    }
}

/// Where the longest run of zero groups starts, and its length (the first
/// of equal runs; length 0 when there is none).
fn longest_zero_run(groups: &[u16; 8]) -> (usize, usize) {
    let (mut best, mut run_at, mut run_len) = ((0, 0), 0, 0);
    for (i, &group) in groups.iter().enumerate() {
        if group == 0 {
            if run_len == 0 {
                run_at = i;
            }
            run_len += 1;
            if run_len > best.1 {
                best = (run_at, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    best
}

/// `%x`
fn push_hex(out: &mut impl Digits, v: u16) {
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let digit = (v >> shift) & 0xf;
        if digit != 0 || started || shift == 0 {
            started = true;
            out.push_ascii(b"0123456789abcdef"[usize::from(digit)]);
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn numbers_are_right_aligned_as_printf_does() {
        let edges = [
            0,
            1,
            9,
            10,
            99_999,
            100_000,
            12_345_678,
            99_999_999,
            100_000_000,
        ];
        for v in edges.into_iter().chain([u64::MAX, u64::MAX / 7, 1 << 40]) {
            assert_eq!(decimal_digits(v), v.to_string().len(), "{v}");
            for width in [0, 8, 9, 25] {
                let mut out = String::from("x");
                push_unsigned_right(&mut out, v, width);
                assert_eq!(out, format!("x{v:>width$}"));
            }
        }
    }

    use super::*;

    #[test]
    fn same_text_as_printf() {
        for v in [
            0u64,
            7,
            10,
            99,
            100,
            101,
            110,
            999,
            1000,
            1001,
            10000,
            65535,
            99999,
            100000,
            4294967295,
            u64::MAX,
        ] {
            let mut s = String::new();
            push_unsigned(&mut s, v);
            assert_eq!(s, format!("{v}"));
        }
        for v in [0i64, -1, 42, -2147483648, i64::MIN, i64::MAX] {
            let mut s = String::new();
            push_signed_left(&mut s, v, 10);
            assert_eq!(s, format!("{v:<10}"));
        }
        let mut s = String::new();
        push_unsigned_left(&mut s, 12345678901, 6);
        push_left(&mut s, "Masq", 7);
        push_left(&mut s, "é", 3);
        // printf pads by bytes: "é" is two
        assert_eq!(s, format!("{:<6}{:<7}{}", 12345678901u64, "Masq", "é "));
        for a in ["0.0.0.0", "10.20.30.40", "255.255.255.255", "192.168.1.1"] {
            let mut s = String::new();
            push_ipv4(&mut s, a.parse().unwrap());
            assert_eq!(s, a);
        }
    }

    #[test]
    fn ipv6_text_is_that_of_inet_ntop_and_of_rust_display() {
        let mut cases: Vec<Ipv6Addr> = [
            "::",
            "::1",
            "1::",
            "::ffff:10.1.2.3",
            "::10.1.2.3",
            "::0.0.1.2",
            "::ffff:0:0",
            "1:0:0:1:0:0:0:1",
            "1:0:0:0:1:0:0:1",
            "1:0:1:0:1:0:1:0",
            "0:0:1::",
            "2001:db8::1:2",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "0:0:0:0:0:1:0:0",
            "::ffff:1:2:3",
            "0:0:0:0:1:ffff:1:2",
            "::1:0:0:0",
            "fe80::a:0:0:0:b",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        // Every pattern of zero and non-zero groups, with the values that
        // decide the dotted quad.
        for pattern in 0u32..(1 << 8) {
            for filler in [1u16, 0xffff, 0xabc, 0x10] {
                let groups: Vec<u16> = (0..8)
                    .map(|i| if pattern >> i & 1 == 1 { filler } else { 0 })
                    .collect();
                let mut g = [0u16; 8];
                g.copy_from_slice(&groups);
                cases.push(Ipv6Addr::from(g));
            }
        }
        for addr in cases {
            let mut ours = String::new();
            push_ipv6(&mut ours, addr);
            assert_eq!(ours, crate::sys::format_inet_ntop6(&addr), "{addr:?}");
            let mut ours = Vec::new();
            push_ipv6_as_rust_displays(&mut ours, addr);
            assert_eq!(String::from_utf8(ours).unwrap(), addr.to_string());
        }
    }
}
