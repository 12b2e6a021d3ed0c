//! A scanner that walks argv exactly as libpopt 1.19's `poptGetNextOpt` does
//! for ipvsadm's table: clusters, attached and `=` arguments, optional
//! arguments, leftovers anywhere, `--`, and the argv word popt blames when
//! something is wrong. ipvsadm's messages quote that word, so it must match.

use super::options::{find_long, find_short, ArgKind, OptionSpec};
use crate::error::PoptErrorKind;

/// One option popt returned, with its argument (None: no argument, or an
/// optional argument that was not given).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Occurrence<'a> {
    pub(crate) spec: &'static OptionSpec,
    pub(crate) arg: Option<&'a str>,
}

/// A popt failure and the argv word `poptBadOption` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoptFailure {
    pub(crate) kind: PoptErrorKind,
    pub(crate) word: String,
}

pub(crate) struct Scanner<'a> {
    /// argv without `argv[0]`
    words: &'a [&'a str],
    next: usize,
    /// the rest of a short-option cluster still to be read (index into
    /// `words[next - 1]`)
    cluster: Option<usize>,
    rest_leftover: bool,
    leftovers: Vec<&'a str>,
    next_leftover: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(words: &'a [&'a str]) -> Scanner<'a> {
        Scanner {
            words,
            next: 0,
            cluster: None,
            rest_leftover: false,
            leftovers: Vec::new(),
            next_leftover: 0,
        }
    }

    /// `poptBadOption(con, POPT_BADOPTION_NOALIAS)`: the last argv word consumed.
    pub(crate) fn last_word(&self) -> &'a str {
        match self.next.checked_sub(1) {
            Some(i) => self.words[i],
            None => "",
        }
    }

    fn fail(&self, kind: PoptErrorKind) -> PoptFailure {
        PoptFailure {
            kind,
            word: self.last_word().to_string(),
        }
    }

    /// `poptGetArg`: the next positional word, in order of appearance.
    pub(crate) fn next_positional(&mut self) -> Option<&'a str> {
        let word = self.leftovers.get(self.next_leftover).copied();
        if word.is_some() {
            self.next_leftover += 1;
        }
        word
    }

    /// `poptGetNextOpt`: Ok(None) at the end of argv.
    pub(crate) fn next_option(&mut self) -> Result<Option<Occurrence<'a>>, PoptFailure> {
        loop {
            let (spec, long_arg): (&'static OptionSpec, Option<&'a str>) = match self.cluster {
                Some(pos) => {
                    let word: &'a str = self.words[self.next - 1];
                    self.cluster = None;
                    // A cluster position is only kept while letters follow it.
                    let Some(letter) = word.get(pos..).and_then(|rest| rest.chars().next()) else {
                        continue;
                    };
                    let spec = find_short(letter)
                        .ok_or_else(|| self.fail(PoptErrorKind::UnknownOption))?;
                    let after = pos + letter.len_utf8();
                    if after < word.len() {
                        self.cluster = Some(after);
                    }
                    (spec, None)
                }
                None => {
                    let Some(word) = self.words.get(self.next) else {
                        return Ok(None);
                    };
                    let word: &'a str = word;
                    self.next += 1;
                    if self.rest_leftover || !word.starts_with('-') || word == "-" {
                        self.leftovers.push(word);
                        continue;
                    }
                    if word == "--" {
                        self.rest_leftover = true;
                        continue;
                    }
                    match word.strip_prefix("--") {
                        Some(body) => {
                            let (name, arg) = match body.split_once('=') {
                                Some((name, arg)) => (name, Some(arg)),
                                None => (body, None),
                            };
                            let spec = find_long(name)
                                .ok_or_else(|| self.fail(PoptErrorKind::UnknownOption))?;
                            (spec, arg)
                        }
                        // `-x`, the usual form: its letter alone (ASCII,
                        // as the word has two bytes), read here at once.
                        None if word.len() == 2 => {
                            let letter = char::from(word.as_bytes()[1]);
                            let spec = find_short(letter)
                                .ok_or_else(|| self.fail(PoptErrorKind::UnknownOption))?;
                            (spec, None)
                        }
                        None => {
                            // A single dash never matches a long name in
                            // ipvsadm's table: the word is a cluster.
                            self.cluster = Some(1);
                            continue;
                        }
                    }
                }
            };
            return self.take_argument(spec, long_arg).map(Some);
        }
    }

    fn take_argument(
        &mut self,
        spec: &'static OptionSpec,
        long_arg: Option<&'a str>,
    ) -> Result<Occurrence<'a>, PoptFailure> {
        let cluster_rest = self.cluster.map(|pos| &self.words[self.next - 1][pos..]);
        if spec.arg == ArgKind::None {
            // `-n=...` and `--numeric=...` carry an argument the flag refuses.
            if long_arg.is_some() || cluster_rest.is_some_and(|r| r.starts_with('=')) {
                return Err(self.fail(PoptErrorKind::UnwantedArgument));
            }
            return Ok(Occurrence { spec, arg: None });
        }
        if long_arg.is_some() {
            return Ok(Occurrence {
                spec,
                arg: long_arg,
            });
        }
        if let Some(rest) = cluster_rest {
            // The rest of the cluster is the argument, minus one leading '='.
            self.cluster = None;
            return Ok(Occurrence {
                spec,
                arg: Some(rest.strip_prefix('=').unwrap_or(rest)),
            });
        }
        match self.words.get(self.next) {
            None if spec.arg == ArgKind::Optional => Ok(Occurrence { spec, arg: None }),
            None => Err(self.fail(PoptErrorKind::MissingArgument)),
            // An optional argument is never taken from a word starting with '-';
            // a required one is taken whatever it looks like.
            Some(word) if spec.arg == ArgKind::Optional && word.starts_with('-') => {
                Ok(Occurrence { spec, arg: None })
            }
            Some(word) => {
                self.next += 1;
                Ok(Occurrence {
                    spec,
                    arg: Some(*word),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Scanned = (
        Vec<(String, Option<String>)>,
        Option<PoptFailure>,
        Vec<String>,
    );

    fn scan(line: &str) -> Scanned {
        let words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
        let mut s = Scanner::new(&words);
        let mut got = Vec::new();
        let failure = loop {
            match s.next_option() {
                Ok(Some(o)) => got.push((o.spec.long.to_string(), o.arg.map(String::from))),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let mut rest = Vec::new();
        while let Some(w) = s.next_positional() {
            rest.push(w.to_string());
        }
        (got, failure, rest)
    }

    /// The options of `line` as `long` or `long=argument`, space-separated.
    fn opts(line: &str) -> String {
        let (got, failure, _) = scan(line);
        assert_eq!(failure, None, "{line}");
        let shown: Vec<String> = got
            .into_iter()
            .map(|(long, arg)| arg.map_or(long.clone(), |arg| format!("{long}={arg}")))
            .collect();
        shown.join(" ")
    }

    #[test]
    fn clusters_and_attached_arguments() {
        for (line, expected) in [
            ("-Ln", "list numeric"),
            ("-At1.2.3.4:80", "add-service tcp-service=1.2.3.4:80"),
            ("-At 1.2.3.4:80", "add-service tcp-service=1.2.3.4:80"),
            ("-mw 5", "masquerading weight=5"),
            ("-srr", "scheduler=rr"),
            ("-t=1.1.1.1:80", "tcp-service=1.1.1.1:80"),
            ("--scheduler=rr", "scheduler=rr"),
            ("-s -p", "scheduler=-p"),
            ("-l", "list"),
        ] {
            assert_eq!(opts(line), expected, "{line}");
        }
    }

    #[test]
    fn optional_argument_of_persistent() {
        for (line, expected) in [
            ("-p 300", "persistent=300"),
            ("-p300", "persistent=300"),
            ("-p=300", "persistent=300"),
            ("-p", "persistent"),
            ("-p -n", "persistent numeric"),
            ("-ps", "persistent=s"),
            ("--persistent 5", "persistent=5"),
        ] {
            assert_eq!(opts(line), expected, "{line}");
        }
    }

    #[test]
    fn errors_name_the_argv_word() {
        use PoptErrorKind::*;
        for (line, kind, word) in [
            ("-L -n5", UnknownOption, "-n5"),
            ("-At", MissingArgument, "-At"),
            ("-L -n=", UnwantedArgument, "-n="),
            ("-L --stats=1", UnwantedArgument, "--stats=1"),
            ("-L --stat", UnknownOption, "--stat"),
            ("-L -V", UnknownOption, "-V"),
        ] {
            let e = scan(line).1.expect(line);
            assert_eq!((e.kind, e.word.as_str()), (kind, word), "{line}");
        }
    }

    #[test]
    fn leftovers_and_double_dash() {
        let (got, failure, rest) = scan("foo -L - -- -n bar");
        assert_eq!(failure, None);
        assert_eq!(got, vec![("list".to_string(), None)]);
        assert_eq!(rest, vec!["foo", "-", "-n", "bar"]);
        // -nx= : x takes "=" minus the '=', i.e. the empty string
        assert_eq!(opts("-nx="), "numeric u-threshold=");
    }
}
