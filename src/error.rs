//! User-visible errors: each carries ipvsadm's exact text and exit status, so
//! that `main` only prints and exits, and scripts see what ipvsadm gave them.

use std::fmt;

/// The three popt failures ipvsadm reports after the first option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoptErrorKind {
    UnknownOption,
    MissingArgument,
    UnwantedArgument,
}

impl PoptErrorKind {
    /// `poptStrerror()` text.
    pub fn text(self) -> &'static str {
        match self {
            PoptErrorKind::UnknownOption => "unknown option",
            PoptErrorKind::MissingArgument => "missing argument",
            PoptErrorKind::UnwantedArgument => "option does not take an argument",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The first option is not a command (or there is none): ipvsadm's
    /// `tryhelp_exit(argv[0], -1)`, exit 255.
    TryHelp { program: String },
    /// A popt error after the first option: `<argv word>: <popt text>`, exit 255.
    Popt { word: String, kind: PoptErrorKind },
    /// ipvsadm's `fail(2, ...)`: a validation failure, exit 2. The text is
    /// printed as is, followed by a newline.
    Invalid(String),
    /// An operation this build cannot carry out yet; exit 1.
    Unsupported(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }

    /// The process exit status ipvsadm uses for this error.
    pub fn exit_status(&self) -> u8 {
        match self {
            Error::TryHelp { .. } | Error::Popt { .. } => 255,
            Error::Invalid(_) => 2,
            Error::Unsupported(_) => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TryHelp { program } => write!(
                f,
                "Try `{program} -h' or '{program} --help' for more information."
            ),
            Error::Popt { word, kind } => write!(f, "{word}: {}", kind.text()),
            Error::Invalid(message) => f.write_str(message),
            Error::Unsupported(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_statuses_match_ipvsadm() {
        let e = Error::TryHelp {
            program: "/sbin/ipvsadm".into(),
        };
        assert_eq!(
            e.to_string(),
            "Try `/sbin/ipvsadm -h' or '/sbin/ipvsadm --help' for more information."
        );
        assert_eq!(e.exit_status(), 255);
        let e = Error::Popt {
            word: "--bogus".into(),
            kind: PoptErrorKind::UnknownOption,
        };
        assert_eq!(e.to_string(), "--bogus: unknown option");
        assert_eq!(e.exit_status(), 255);
        assert_eq!(Error::invalid("illegal weight specified").exit_status(), 2);
    }
}
