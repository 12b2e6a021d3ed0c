//! The lines of a `-R` input, split into words and read by the same grammar
//! as argv. ipvsadm's tokenizer rules: words are separated by blanks, TABs,
//! CR and LF; a word exactly `ipvsadm` is dropped wherever it stands; blank
//! lines are skipped. Unlike ipvsadm, lines whose first word starts with `#`
//! are comments (ipvsadm aborts on them).

use super::command::{Command, Parsed};
use super::parse::parse_command_line;
use super::values::restore_tokens;
use crate::error::Error;

/// One non-blank, non-comment line of a restore input and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreLine<'a> {
    /// 1-based line number in the input
    pub number: usize,
    pub words: Vec<&'a str>,
    pub parsed: Result<Command, Error>,
}

/// Read every line of a restore input. `program` is argv[0].
pub fn read_restore_input<'a>(program: &str, input: &'a str) -> Vec<RestoreLine<'a>> {
    input
        .split('\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let mut words = restore_tokens(line);
            words.retain(|w| *w != "ipvsadm");
            if words.is_empty() || words[0].starts_with('#') {
                return None;
            }
            Some(RestoreLine {
                number: i + 1,
                parsed: parse_restore_words(program, &words),
                words,
            })
        })
        .collect()
}

/// A restore line cannot ask for help, the version, or another restore:
/// ipvsadm answers those with `Try ...` (it would loop on `-R`).
fn parse_restore_words(program: &str, words: &[&str]) -> Result<Command, Error> {
    match parse_command_line(program, words)? {
        Parsed::Run(Command::Restore(_)) | Parsed::Help | Parsed::Version => Err(Error::TryHelp {
            program: program.to_string(),
        }),
        Parsed::Run(command) => Ok(command),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_grammar_as_argv() {
        let input = "ipvsadm -A -t 1.2.3.4:80 -s rr\r\n\n   \n# a comment\n-a -t 1.2.3.4:80 -r 10.0.0.1 -m -w 2\n-R\n";
        let lines = read_restore_input("ipvsadm", input);
        assert_eq!(
            lines.iter().map(|l| l.number).collect::<Vec<_>>(),
            [1, 5, 6]
        );
        let argv: Vec<String> = ["-A", "-t", "1.2.3.4:80", "-s", "rr"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            Ok(lines[0].parsed.clone().unwrap()),
            match parse_command_line("ipvsadm", &argv) {
                Ok(Parsed::Run(c)) => Ok::<_, Error>(c),
                other => panic!("{other:?}"),
            }
        );
        assert!(matches!(lines[1].parsed, Ok(Command::AddServer { .. })));
        assert_eq!(
            lines[2].parsed,
            Err(Error::TryHelp {
                program: "ipvsadm".into()
            })
        );
    }

    #[test]
    fn ipvsadm_words_are_dropped_anywhere() {
        let lines = read_restore_input("ipvsadm", "-A -t 1.2.3.4:80 -s ipvsadm\n");
        assert_eq!(lines[0].words, ["-A", "-t", "1.2.3.4:80", "-s"]);
        assert!(matches!(lines[0].parsed, Err(Error::Popt { .. })));
    }
}
