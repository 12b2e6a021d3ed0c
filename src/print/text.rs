//! Text building for big listings without `core::fmt`: a 100,000-line
//! listing spends most of its time in the formatting machinery, and under
//! emulation that is seconds. These helpers write what printf's `%u`, `%d`
//! and `%-Ns` would.

use std::net::Ipv4Addr;

/// `%llu`
pub(crate) fn push_unsigned(out: &mut String, v: u64) {
    // Most numbers of a listing are short: octets, ports, weights, counts.
    if v < 100_000 {
        let digit = |d: u64| char::from(b'0' + (d % 10) as u8);
        for power in [10_000, 1_000, 100, 10] {
            if v >= power {
                out.push(digit(v / power));
            }
        }
        out.push(digit(v));
    } else {
        push_long_unsigned(out, v);
    }
}

/// `%llu` of any number. Not inlined: its digit buffer would be set up
/// for every short number too.
#[inline(never)]
fn push_long_unsigned(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Byte by byte: a number is a few digits, and `push_str` of a byte
    // slice would validate it as UTF-8 and call memcpy, twice the work.
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// `%lld`
pub(crate) fn push_signed(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_unsigned(out, v.unsigned_abs());
}

/// Spaces up to `width` bytes written since `start` (`out.len()` before
/// the field), as `%-Ns` pads: printf counts bytes, not characters, so a
/// host name in UTF-8 gets fewer spaces. A longer field is not cut.
pub(crate) fn pad_from(out: &mut String, start: usize, width: usize) {
    const SPACES: &str = "                                ";
    let mut missing = width.saturating_sub(out.len() - start);
    while missing > 0 {
        let n = missing.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        missing -= n;
    }
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
pub(crate) fn push_ipv4(out: &mut String, addr: Ipv4Addr) {
    for (i, octet) in addr.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_unsigned(out, u64::from(octet));
    }
}

#[cfg(test)]
mod tests {
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
}
