//! The command line's own screens: the environment section of `--help`, the console started.

/// The environment section of `--help` (the exit codes come from `tokumei_engine::ExitCode::help`).
pub const ENVIRONMENT: &str = "\
Environment:
  TOKUMEI_OPERATOR   operator name recorded in the audit log (default: $USER)
  TOKUMEI_REGISTRY   the registry file of `registry` and `file` commands (default: reports/registry.sqlite)
  TOKUMEI_NOW        run clock as Unix seconds, for reproducible release ids and reports;
                     also today's date (in Japan) and the time of every registry change;
                     a run's audit entries keep the system time and note the override
  TOKUMEI_FAILPOINT  test only: crash or fail a run at a named step (docs/cli.md)";

/// `serve`: where the console listens, and the one-time sign-in address.
pub fn console_started(addr: &str, login_url: &str) -> super::Told {
    super::Told::out(format!(
        "tokumei console on http://{addr} (loopback only; Ctrl-C stops it)\nopen this address once to sign in (it works once):\n  {login_url}\n"
    ))
}
