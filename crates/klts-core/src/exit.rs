//! The exit class of an error: whether the command could not run (bad input, an unusable
//! environment) or ran and found problems. Every library error type says its own class
//! ([`HasExitClass`]), so the command line maps errors to exit codes in one place instead of
//! deciding per call site.
//!
//! | class | exit code | meaning |
//! |---|---|---|
//! | [`ExitClass::Problems`] | 1 | the command ran and found problems (a release that does not materialize, a build that failed) |
//! | [`ExitClass::Usage`] | 2 | the command could not run (bad arguments or environment, malformed input files, unknown release, unreachable upstream) |

/// How an error ends the command (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// The command ran and found problems: exit 1.
    Problems,
    /// The command could not run: exit 2.
    Usage,
}

impl ExitClass {
    /// The process exit code of the class.
    pub fn code(self) -> u8 {
        match self {
            ExitClass::Problems => 1,
            ExitClass::Usage => 2,
        }
    }
}

/// An error that knows its [`ExitClass`].
pub trait HasExitClass {
    /// How this error ends the command.
    fn exit_class(&self) -> ExitClass;
}

/// Errors of reading and validating inputs: all mean "could not run".
macro_rules! usage_errors {
    ($($t:ty),* $(,)?) => {
        $(impl HasExitClass for $t {
            fn exit_class(&self) -> ExitClass {
                ExitClass::Usage
            }
        })*
    };
}

usage_errors!(
    crate::ManifestError,
    crate::VersionError,
    crate::time::TimeError,
    crate::lifecycle::DateError,
    crate::names::NameError,
    crate::edit::EditError,
    crate::pkgversion::PkgVersionError,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(ExitClass::Problems.code(), 1);
        assert_eq!(ExitClass::Usage.code(), 2);
        let e = crate::time::TimeError::PastU32 { value: 1 << 40 };
        assert_eq!(e.exit_class().code(), 2);
    }
}
