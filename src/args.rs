//! Building blocks for settings declared as clap arguments.
//!
//! Every setting is one field of a `clap::Args` struct, owned by the module that uses it
//! ([`crate::server::HttpConfig`], [`crate::api::QueryLimits`], [`crate::load::ContentArgs`],
//! [`crate::watch::WatchArgs`], [`crate::server::ServeOptions`]): its doc comment is the
//! help, and its attributes give the flag, the `INKGRAPH_*` variable, the default and a value
//! parser from here that validates. [`crate::settings`] adds the configuration file on top,
//! generically. [`defaults`] gives library users the same defaults as the command line.

use clap::{Args, Command, FromArgMatches};
use std::time::Duration;

/// Parses a duration: `800ms`, `5s`, `2m`, `1h`, `1h 30m` (humantime's syntax), or a bare
/// number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text)
        .map_err(|err| format!("`{text}` is not a duration like 5s, 800ms, 2m or 1h ({err})"))
}

/// [`duration`], refusing zero (for timeouts and intervals that must pass).
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        zero if zero.is_zero() => Err(format!(
            "`{text}` is no time at all; give a duration longer than 0, such as 5s or 500ms"
        )),
        positive => Ok(positive),
    }
}

/// A value parser for a count or size of at least `minimum` (smaller values make the server
/// refuse everything, or are typos).
pub fn at_least(
    minimum: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let value: usize = text
            .trim()
            .parse()
            .map_err(|err| format!("`{text}` is not a whole number ({err})"))?;
        if value < minimum {
            return Err(format!(
                "{value} is below the smallest useful value, {minimum}"
            ));
        }
        Ok(value)
    }
}

/// The values `T`'s arguments take when nothing sets them: the defaults `--help` shows, never
/// read from the environment. `Default` implementations of settings structs call this, so a
/// default is written once, in the argument's attributes.
///
/// # Panics
///
/// When a built-in default does not pass its own value parser: a bug in the declaration,
/// which the unit tests of each settings struct catch.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    let command = T::augment_args(Command::new("defaults")).mut_args(|arg| arg.env(None));
    let parsed = command
        .try_get_matches_from(["defaults"])
        .and_then(|matches| T::from_arg_matches(&matches));
    match parsed {
        Ok(value) => value,
        Err(err) => panic!(
            "the built-in defaults of {} do not parse: {err}",
            std::any::type_name::<T>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_or_bare_seconds() {
        for (text, ms) in [
            ("5s", 5000),
            ("800ms", 800),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("2h", 7_200_000),
            ("1h 30m", 5_400_000),
            ("3", 3000),
            ("0", 0),
        ] {
            assert_eq!(duration(text).map(|d| d.as_millis()), Ok(ms), "{text}");
        }
        for bad in ["5 parsecs", "soon", "", "-1s"] {
            let err = duration(bad).expect_err(bad);
            assert!(err.contains("is not a duration like 5s"), "{err}");
        }
    }

    #[test]
    fn positive_durations_refuse_zero() {
        assert_eq!(positive_duration("10s"), Ok(Duration::from_secs(10)));
        for zero in ["0", "0s", "0ms"] {
            let err = positive_duration(zero).expect_err(zero);
            assert!(err.contains("longer than 0"), "{err}");
        }
    }

    #[test]
    fn at_least_names_the_minimum() {
        let parse = at_least(256);
        assert_eq!(parse("256"), Ok(256));
        assert_eq!(
            parse("10"),
            Err("10 is below the smallest useful value, 256".to_string())
        );
        assert!(parse("-1").is_err());
        assert!(parse("many").expect_err("text").contains("whole number"));
    }

    #[derive(clap::Args, Debug, PartialEq)]
    struct Sample {
        /// A size.
        #[arg(long, default_value_t = 7, value_parser = at_least(1))]
        size: usize,
        /// A wait.
        #[arg(long, default_value = "2s", value_parser = duration)]
        wait: Duration,
        /// A switch.
        #[arg(long)]
        on: bool,
        /// A setting whose variable is set in every test run.
        #[arg(long, env = "PATH", default_value = "built-in")]
        search: String,
    }

    #[test]
    fn defaults_come_from_the_declarations_not_the_environment() {
        assert!(std::env::var_os("PATH").is_some(), "PATH is set");
        let sample: Sample = defaults();
        assert_eq!(
            sample,
            Sample {
                size: 7,
                wait: Duration::from_secs(2),
                on: false,
                search: "built-in".into(),
            }
        );
    }
}
