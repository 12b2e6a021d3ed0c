//! Options that apply to any command, read off argv before the grammar:
//! `--netns NAME|PATH`. They are not ipvsadm's, and popt's rule that the
//! first option is the command would refuse them in front of one, so they
//! are taken out of the words first, wherever they stand.

use crate::error::{Error, PoptErrorKind};

/// argv without its global options, and what they said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalOptions {
    /// `--netns`: the network namespace to run in
    pub netns: Option<String>,
    /// the other words, in order
    pub words: Vec<String>,
}

/// Take `--netns NAME` and `--netns=NAME` out of `words` (not after `--`,
/// where popt stops reading options). The last one given wins.
pub fn take_global_options(words: &[String]) -> Result<GlobalOptions, Error> {
    let mut netns = None;
    let mut rest = Vec::with_capacity(words.len());
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        if word == "--" {
            rest.push(word.clone());
            rest.extend(iter.by_ref().cloned());
            break;
        }
        if let Some(value) = word.strip_prefix("--netns=") {
            netns = Some(value.to_string());
        } else if word == "--netns" {
            let value = iter.next().ok_or_else(|| Error::Popt {
                word: word.clone(),
                kind: PoptErrorKind::MissingArgument,
            })?;
            netns = Some(value.clone());
        } else {
            rest.push(word.clone());
        }
    }
    Ok(GlobalOptions { netns, words: rest })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(line: &str) -> (Option<String>, String) {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        let global = take_global_options(&words).unwrap();
        (global.netns, global.words.join(" "))
    }

    #[test]
    fn netns_is_taken_wherever_it_stands() {
        assert_eq!(taken("--netns lb -Ln"), (Some("lb".into()), "-Ln".into()));
        assert_eq!(taken("-Ln --netns=lb"), (Some("lb".into()), "-Ln".into()));
        assert_eq!(
            taken("-A --netns /proc/7/ns/net -t 1.2.3.4:80"),
            (Some("/proc/7/ns/net".into()), "-A -t 1.2.3.4:80".into())
        );
        assert_eq!(taken("-Ln"), (None, "-Ln".into()));
        assert_eq!(
            taken("--set -- --netns 1 2"),
            (None, "--set -- --netns 1 2".into())
        );
        let words = vec!["-Ln".to_string(), "--netns".to_string()];
        let e = take_global_options(&words).unwrap_err();
        assert_eq!(
            (e.to_string(), e.exit_status()),
            ("--netns: missing argument".into(), 255)
        );
    }
}
