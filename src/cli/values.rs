//! Option values as ipvsadm reads them: C `strtol`/`atoi` numbers (leading
//! blanks, a sign, leading zeros), comma lists, and the tokens of a restore
//! line. Written with nom so the rules read as grammar, not index juggling.

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::one_of;
use nom::combinator::opt;
use nom::IResult;
use nom::Parser;

/// C `isspace` in the "C" locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// What `strtol(s, &end, 10)` sees: the value (saturated like strtol),
/// whether it overflowed (ERANGE), and the text after the number; None when
/// no digit was consumed.
struct CLong<'a> {
    value: i64,
    overflow: bool,
    rest: &'a str,
}

fn c_long_parts(input: &str) -> IResult<&str, (Option<char>, &str)> {
    let (input, _) = take_while(is_c_space)(input)?;
    (opt(one_of("+-")), take_while1(|c: char| c.is_ascii_digit())).parse(input)
}

fn strtol(s: &str) -> Option<CLong<'_>> {
    let (rest, (sign, digits)) = c_long_parts(s).ok()?;
    let negative = sign == Some('-');
    let mut value: i64 = 0;
    let mut overflow = false;
    for d in digits.bytes() {
        let digit = i64::from(d - b'0');
        let next = value.checked_mul(10).and_then(|v| {
            if negative {
                v.checked_sub(digit)
            } else {
                v.checked_add(digit)
            }
        });
        match next {
            Some(v) => value = v,
            None => {
                overflow = true;
                value = if negative { i64::MIN } else { i64::MAX };
                break;
            }
        }
    }
    Some(CLong {
        value,
        overflow,
        rest,
    })
}

/// ipvsadm's `string_to_number(s, min, max)`: a whole-string decimal number
/// in range, else None.
pub(crate) fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    // Plain digits (every port and weight of a saved table) need no strtol:
    // restores read hundreds of thousands of them.
    if (1..=18).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        let value = s.bytes().fold(0i64, |v, b| v * 10 + i64::from(b - b'0'));
        return (min..=max).contains(&value).then_some(value);
    }
    let n = strtol(s)?;
    (n.rest.is_empty() && !n.overflow && (min..=max).contains(&n.value)).then_some(n.value)
}

/// ipvsadm's `parse_fwmark`: 1..=4294967295, whole string.
pub(crate) fn parse_fwmark(s: &str) -> Option<u32> {
    let n = strtol(s)?;
    if !n.rest.is_empty() || n.overflow || n.value <= 0 {
        return None;
    }
    u32::try_from(n.value).ok()
}

/// C `atoi`: `(int) strtol(s, NULL, 10)`, garbage after the number ignored,
/// 0 when there is no number. The truncation to `int` is C's, kept on purpose
/// (ipvsadm reads IPv6 netmasks with it).
pub(crate) fn atoi(s: &str) -> i32 {
    strtol(s).map_or(0, |n| n.value as i32)
}

/// The items of a `-b` list, as `strtok(arg, ",")` yields them (empty items skipped).
pub(crate) fn comma_items(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|item| !item.is_empty())
}

/// What a byte of a restore input is to ipvsadm's tokenizer.
const WORD: u8 = 0;
const BLANK: u8 = 1;
const LINE_END: u8 = 2;
const WORD_CLASS: [u8; 256] = {
    let mut class = [WORD; 256];
    class[b' ' as usize] = BLANK;
    class[b'\t' as usize] = BLANK;
    class[b'\r' as usize] = BLANK;
    class[b'\n' as usize] = LINE_END;
    class
};

/// Each line of a restore input (split at LF, numbered from 0) and its
/// tokens: maximal runs of characters other than space, TAB, CR and LF
/// (ipvsadm's config_stream). `each` may change the token list it is given.
/// Returns the number of LFs.
pub(crate) fn each_restore_line<'a>(
    input: &'a str,
    mut each: impl FnMut(usize, &mut Vec<&'a str>),
) -> usize {
    // Tight byte loops over a class table: restores of 100,000 lines spend
    // real time here. The separators are ASCII, so every cut is on a
    // character boundary.
    let bytes = input.as_bytes();
    let mut tokens = Vec::with_capacity(16);
    let mut number = 0;
    let mut i = 0;
    while i < bytes.len() {
        match WORD_CLASS[usize::from(bytes[i])] {
            BLANK => i += 1,
            LINE_END => {
                each(number, &mut tokens);
                tokens.clear();
                number += 1;
                i += 1;
            }
            _ => {
                let start = i;
                i = word_end(bytes, i);
                tokens.push(&input[start..i]);
            }
        }
    }
    each(number, &mut tokens);
    number
}

/// Where the word starting at `start` ends: at the first separator after
/// it, or at the end of `bytes`. Eight bytes at a time: the lowest byte
/// below b'!' in a chunk is found exactly, since the subtraction only
/// borrows into higher bytes (every separator is below b'!'; so are a few
/// control characters, which are word bytes to step over).
fn word_end(bytes: &[u8], start: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = start;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let below = x.wrapping_sub(ONES * u64::from(b'!')) & !x & (ONES * 0x80);
        if below == 0 {
            i += 8;
            continue;
        }
        i += below.trailing_zeros() as usize / 8;
        if WORD_CLASS[usize::from(bytes[i])] != WORD {
            return i;
        }
        i += 1;
    }
    while i < bytes.len() && WORD_CLASS[usize::from(bytes[i])] == WORD {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_rules_of_string_to_number() {
        assert_eq!(string_to_number("5", 0, 10), Some(5));
        assert_eq!(string_to_number("+5", 0, 10), Some(5));
        assert_eq!(string_to_number(" 5", 0, 10), Some(5));
        assert_eq!(string_to_number("010", 0, 65535), Some(10));
        assert_eq!(string_to_number("0080", 0, 65535), Some(80));
        assert_eq!(string_to_number("-1", 0, 10), None);
        assert_eq!(string_to_number("1x", 0, 10), None);
        assert_eq!(string_to_number("0x10", 0, 100), None);
        assert_eq!(string_to_number("", 0, 10), None);
        assert_eq!(string_to_number(" ", 0, 10), None);
        assert_eq!(string_to_number("5 ", 0, 10), None);
        assert_eq!(
            string_to_number("2147483647", 0, 2147483647),
            Some(2147483647)
        );
        assert_eq!(string_to_number("2147483648", 0, 2147483647), None);
        assert_eq!(string_to_number("99999999999999999999", 0, i64::MAX), None);
    }

    #[test]
    fn fwmarks() {
        assert_eq!(parse_fwmark("1"), Some(1));
        assert_eq!(parse_fwmark("+7"), Some(7));
        assert_eq!(parse_fwmark("4294967295"), Some(u32::MAX));
        assert_eq!(parse_fwmark("4294967296"), None);
        assert_eq!(parse_fwmark("0"), None);
        assert_eq!(parse_fwmark("-3"), None);
        assert_eq!(parse_fwmark("abc"), None);
    }

    #[test]
    fn atoi_ignores_trailing_garbage_and_truncates_like_c() {
        assert_eq!(atoi("64abc"), 64);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(" -3"), -3);
        assert_eq!(atoi("4294967297"), 1);
    }

    #[test]
    fn sched_flag_items_skip_empty_ones() {
        assert_eq!(
            comma_items("flag-1,,flag-2").collect::<Vec<_>>(),
            ["flag-1", "flag-2"]
        );
        assert_eq!(comma_items(",").count(), 0);
    }

    fn all_words<'a>(lines: &[(usize, Vec<&'a str>)]) -> Vec<&'a str> {
        lines
            .iter()
            .flat_map(|(_, words)| words.iter().copied())
            .collect()
    }

    fn restore_lines(input: &str) -> Vec<(usize, Vec<&str>)> {
        let mut lines = Vec::new();
        let line_ends =
            each_restore_line(input, |number, tokens| lines.push((number, tokens.clone())));
        assert_eq!(line_ends + 1, lines.len());
        lines
    }

    #[test]
    fn restore_lines_split_on_blanks_and_crlf() {
        assert_eq!(
            restore_lines("  -A\t-t  1.2.3.4:80 \r\n \t\r\n-C"),
            [
                (0, vec!["-A", "-t", "1.2.3.4:80"]),
                (1, vec![]),
                (2, vec!["-C"])
            ]
        );
        // As `split('\n')`: an empty last line after the last LF.
        assert_eq!(restore_lines("-C\n"), [(0, vec!["-C"]), (1, vec![])]);
        assert_eq!(restore_lines(""), [(0, vec![])]);
        assert_eq!(
            restore_lines("\u{e9}t\u{e9} x"),
            [(0, vec!["\u{e9}t\u{e9}", "x"])]
        );
    }

    /// Every mix of separators, control characters, ASCII and wider
    /// characters, at every offset from a chunk boundary, is split as
    /// `str::split` splits it.
    #[test]
    fn words_split_as_str_split_splits_them() {
        let pieces = [
            " ", "\t", "\r", "\n", "\x01", "\x1f", "!", "a", "\u{e9}", "\u{20ac}", "ab:cd.ef",
        ];
        // A fixed sequence of pseudo-random choices (xorshift).
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..24 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let expected: Vec<(usize, Vec<&str>)> = text
                .split('\n')
                .enumerate()
                .map(|(number, line)| {
                    let words = line.split([' ', '\t', '\r']).filter(|w| !w.is_empty());
                    (number, words.collect())
                })
                .collect();
            assert_eq!(restore_lines(&text), expected, "{text:?}");
        }
    }

    /// Words longer than eight bytes (skipped eight at a time), cut
    /// anywhere by a blank, split as `str::split` splits them.
    #[test]
    fn long_words_end_at_any_separator() {
        let long = "192.168.100.200:8080\t\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x \x01abcdefgh\x02\r\n";
        assert_eq!(
            restore_lines(long),
            [
                (
                    0,
                    vec![
                        "192.168.100.200:8080",
                        "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x",
                        "\x01abcdefgh\x02"
                    ]
                ),
                (1, vec![])
            ]
        );
        for separator in [" ", "\t", "\r", "\n"] {
            for cut in (0..long.len()).filter(|&cut| long.is_char_boundary(cut)) {
                let text = format!("{}{separator}{}", &long[..cut], &long[cut..]);
                let split: Vec<&str> = text
                    .split([' ', '\t', '\r', '\n'])
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(all_words(&restore_lines(&text)), split, "{text:?}");
            }
        }
    }
}
