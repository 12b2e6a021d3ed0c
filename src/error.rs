//! User-visible errors: each carries ipvsadm's exact text and exit status, so
//! that `main` only prints and exits, and scripts see what ipvsadm gave them.

use std::fmt;

/// The three popt failures ipvsadm reports after the first option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoptErrorKind {
    /// `POPT_ERROR_BADOPT`
    UnknownOption,
    /// `POPT_ERROR_NOARG`
    MissingArgument,
    /// `POPT_ERROR_UNWANTEDARG`
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

/// Everything that can go wrong, each with ipvsadm's text (`Display`) and exit status ([`Error::exit_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The first option is not a command (or there is none): ipvsadm's
    /// `tryhelp_exit(argv[0], -1)`, exit 255.
    TryHelp {
        /// `argv[0]`
        program: String,
    },
    /// A popt error after the first option: `<argv word>: <popt text>`, exit 255.
    Popt {
        /// the argv word popt blames
        word: String,
        /// what is wrong with it
        kind: PoptErrorKind,
    },
    /// ipvsadm's `fail(2, ...)`: a validation failure, exit 2. The text is
    /// printed as is, followed by a newline.
    Invalid(String),
    /// ipvsadm's start-up failure (no IPVS, not root): exit 2.
    Init {
        /// why
        errno: i32,
    },
    /// The kernel refused an operation: ipvsadm's text for the errno.
    Kernel {
        /// what was refused
        op: KernelOp,
        /// the kernel's errno
        errno: i32,
    },
    /// A failure without a kernel errno (no reply in time, a malformed
    /// reply): our own text, the operation's exit status.
    Netlink {
        /// what failed
        op: KernelOp,
        /// what went wrong
        detail: String,
    },
    /// ipvsadm's `cannot open file /proc/net/ip_vs_conn`, exit 1.
    ConnTableUnreadable,
    /// ipvsadm's `unexpected input from /proc/net/ip_vs_conn`, exit 1.
    ConnTableEmpty,
    /// The restore input could not be read, exit 1.
    RestoreInput(String),
    /// The output could not be written (other than a closed pipe), exit 1.
    Output(String),
    /// Changing the table failed and undoing part of it failed too: which
    /// line's change could not be undone, and why (an [`Error::AtLine`]).
    /// Printed before the failure that started the undo.
    Undo(Box<Error>),
    /// Several problems, one per line in order (a refused restore names
    /// every line it refuses); `status` is the exit status.
    Several {
        /// every problem, in order
        problems: Vec<Error>,
        /// the exit status
        status: u8,
    },
    /// A termination signal arrived while changing the table; what was
    /// applied has been undone. Exit 128 + the signal, as a shell reports it.
    Interrupted {
        /// the signal
        signal: i32,
    },
    /// A termination signal stopped `--drain-server` while it waited: the
    /// real server is left at weight 0. Exit 128 + the signal.
    DrainStopped {
        /// the signal
        signal: i32,
        /// the real server, as `-t ... -r ...`
        server: String,
        /// its weight before the drain
        weight: i32,
    },
    /// `--netns`: the namespace cannot be entered; nothing was done. Exit 2.
    Netns {
        /// as given
        name: String,
        /// why
        detail: String,
    },
    /// An error on one line of a restore input.
    AtLine {
        /// 1-based line number
        line: usize,
        /// what is wrong there
        error: Box<Error>,
    },
    /// A failure ipvsadm reports with its status only (`-L --timeout`,
    /// `-L --daemon`).
    Silent {
        /// the exit status
        status: u8,
    },
    /// The reader of the output went away (`ipvsadm -Ln | head -1`); ipvsadm
    /// is killed by SIGPIPE then, and so the caller ends the process.
    BrokenPipe,
}

/// The kernel operation an error belongs to: it selects ipvsadm's message
/// for an errno and the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelOp {
    /// `-A`
    AddService,
    /// `-E`
    EditService,
    /// `-D`
    DeleteService,
    /// `-C`
    Flush,
    /// `-Z`
    Zero,
    /// `-a`
    AddServer,
    /// `-e`
    EditServer,
    /// `-d`
    DeleteServer,
    /// `--set`
    SetTimeouts,
    /// `--start-daemon`
    StartDaemon,
    /// `--stop-daemon`
    StopDaemon,
    /// reading the table (service dump, real-server dump, one service)
    List,
}

impl KernelOp {
    /// Listing failures exit 1; failed changes exit 255 (ipvsadm's `-1`).
    pub fn exit_status(self) -> u8 {
        match self {
            KernelOp::List => 1,
            _ => 255,
        }
    }
}

/// ipvsadm's `ipvs_strerror`: operation-specific texts first, then generic
/// ones, then the C library's.
pub fn ipvs_strerror(op: Option<KernelOp>, errno: i32) -> String {
    use KernelOp::*;
    let specific = match (op, errno) {
        (Some(AddService), libc::EEXIST) => Some("Service already exists"),
        (Some(AddService | EditService), libc::ENOENT) => {
            Some("Scheduler or persistence engine not found")
        }
        (Some(EditService | DeleteService | Zero | List), libc::ESRCH) => Some("No such service"),
        (Some(AddServer | EditServer | DeleteServer), libc::ESRCH) => Some("Service not defined"),
        (Some(AddServer), libc::EEXIST) => Some("Destination already exists"),
        (Some(EditServer | DeleteServer), libc::ENOENT) => Some("No such destination"),
        (Some(StartDaemon), libc::EEXIST) => Some("Daemon has already run"),
        (Some(StopDaemon), libc::ESRCH) => Some("No daemon is running"),
        _ => None,
    };
    let generic = match errno {
        libc::EPERM => Some("Permission denied (you must be root)"),
        libc::EINVAL => {
            Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
        }
        libc::ENOPROTOOPT => Some("Protocol not available"),
        libc::ENOMEM => Some("Memory allocation problem"),
        libc::EOPNOTSUPP => Some("Operation not supported with IPv6"),
        libc::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
        libc::EMSGSIZE => Some("Module is wrong version"),
        _ => None,
    };
    specific
        .or(generic)
        .or_else(|| crate::errno_text::glibc_strerror(errno))
        .map_or_else(|| crate::sys::strerror(errno), str::to_string)
}

/// The connection table ipvsadm reads for `-L -c`.
pub(crate) const CONN_TABLE: &str = "/proc/net/ip_vs_conn";

impl Error {
    /// A failed write of the output: a closed pipe (`ipvsadm -Ln | head`)
    /// ends the process as it ends ipvsadm.
    pub fn output(e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output(e.to_string())
        }
    }

    /// Every problem, one per line in order; the first one decides the
    /// exit status (a refused restore).
    pub fn several(problems: Vec<Error>) -> Error {
        let status = problems.first().map_or(1, Error::exit_status);
        Error::Several { problems, status }
    }

    /// ipvsadm's `fail(2, message)`.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }

    /// The process exit status ipvsadm uses for this error.
    pub fn exit_status(&self) -> u8 {
        match self {
            Error::TryHelp { .. } | Error::Popt { .. } => 255,
            Error::Invalid(_) | Error::Init { .. } | Error::Netns { .. } => 2,
            Error::ConnTableUnreadable
            | Error::ConnTableEmpty
            | Error::RestoreInput(_)
            | Error::Output(_) => 1,
            Error::Undo(error) => error.exit_status(),
            Error::Several { status, .. } => *status,
            Error::Kernel { op, .. } | Error::Netlink { op, .. } => op.exit_status(),
            Error::Silent { status } => *status,
            Error::BrokenPipe => 141,
            Error::AtLine { error, .. } => error.exit_status(),
            Error::Interrupted { signal } | Error::DrainStopped { signal, .. } => {
                (128 + signal).clamp(0, 255) as u8
            }
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
            Error::ConnTableUnreadable => write!(f, "cannot open file {CONN_TABLE}"),
            Error::ConnTableEmpty => write!(f, "unexpected input from {CONN_TABLE}"),
            Error::RestoreInput(e) => write!(f, "ipvsadm-rs: cannot read the restore input: {e}"),
            Error::Output(e) => write!(f, "ipvsadm-rs: cannot write the output: {e}"),
            Error::Undo(at_line) => write!(f, "ipvsadm-rs: undoing a change of {at_line}"),
            Error::Several { problems, .. } => {
                for (i, problem) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{problem}")?;
                }
                Ok(())
            }
            Error::Init { errno } => write!(
                f,
                "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?",
                ipvs_strerror(None, *errno)
            ),
            Error::Kernel { op, errno } => f.write_str(&ipvs_strerror(Some(*op), *errno)),
            Error::Netlink { detail, .. } => write!(f, "ipvsadm-rs: {detail}"),
            Error::Silent { .. } | Error::BrokenPipe => Ok(()),
            Error::AtLine { line, error } => write!(f, "line {line}: {error}"),
            Error::Interrupted { signal } => {
                write!(f, "ipvsadm-rs: interrupted by signal {signal}; the changes made so far were undone")
            }
            Error::Netns { name, detail } => write!(
                f,
                "ipvsadm-rs: cannot enter network namespace {name}: {detail}"
            ),
            Error::DrainStopped {
                signal,
                server,
                weight,
            } => write!(
                f,
                "ipvsadm-rs: interrupted by signal {signal}; {server} is left at weight 0 (it was {weight})"
            ),
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

    #[test]
    fn kernel_errors_use_ipvsadms_texts() {
        use KernelOp::*;
        for (op, errno, text, status) in [
            (AddService, libc::EEXIST, "Service already exists", 255),
            (AddServer, libc::ESRCH, "Service not defined", 255),
            (List, libc::ESRCH, "No such service", 1),
            (StopDaemon, libc::ESRCH, "No daemon is running", 255),
            (AddService, libc::ESRCH, "No such process", 255),
            (EditService, libc::EEXIST, "File exists", 255),
            (
                AddServer,
                libc::ERANGE,
                "Numerical result out of range",
                255,
            ),
            (
                Flush,
                libc::EPERM,
                "Permission denied (you must be root)",
                255,
            ),
            (AddServer, libc::EEXIST, "Destination already exists", 255),
        ] {
            let e = Error::Kernel { op, errno };
            assert_eq!((e.to_string().as_str(), e.exit_status()), (text, status));
        }
        let init = Error::Init {
            errno: libc::ENOPROTOOPT,
        };
        assert_eq!(
            init.to_string(),
            "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?"
        );
        assert_eq!(init.exit_status(), 2);
    }
}
