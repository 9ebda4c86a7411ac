//! `inkgraph`'s command-line configuration: the configuration file layered under flags and
//! environment, generically, and `--print-config`.
//!
//! Every setting is ONE clap argument, declared by the module that uses it
//! ([`crate::server::HttpConfig`], [`crate::api::QueryLimits`], [`crate::load::ContentArgs`],
//! [`crate::watch::WatchArgs`], [`crate::server::ServeOptions`], and [`ServeArgs`] here): its
//! doc comment is the help, its attributes the flag, the `INKGRAPH_*` variable, the default and
//! a value parser that validates ([`crate::args`]). Apart from [`ServeArgs`]'s own few, nothing
//! here names a setting.
//!
//! A command with a `--config` argument ([`ServeArgs`]) also reads a TOML file whose keys are
//! the flags' long names. Precedence — a flag, then its variable, then the file, then the
//! built-in default — holds by construction: [`parse`] makes each file value the argument's
//! default before clap parses the command line, and clap prefers flags to variables to
//! defaults. Parsing takes three steps:
//!
//! 1. the command line alone (no variables, no file): which flags were given, and which file
//!    to read; a bad flag value is reported as the flag's;
//! 2. every variable of a setting not given as a flag, then every key of the file, each run
//!    through its setting's own value parser, so an error names the variable, or the file,
//!    line and key; unknown keys are refused with the list of valid ones;
//! 3. the real parse, with the file's values as defaults.
//!
//! In the file, a list may be an array or a comma-separated string, and a relative path
//! (a setting whose value is a path) is relative to the file. A setting whose variable's value
//! `--help` hides (`hide_env_values`, the tokens) is a secret: `--print-config` only says
//! whether it is set.

use crate::load::ContentArgs;
use crate::server::{CorsOrigins, HttpConfig, ServeOptions};
use crate::site::store::StoreOptions;
use crate::watch::WatchArgs;
use clap::builder::{BoolishValueParser, OsStr, ValueHint};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, ValueEnum};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration file read when `--config` is not given (it may be absent).
pub const DEFAULT_CONFIG_FILE: &str = "inkgraph.toml";

/// The id of the argument naming the configuration file; a command with it reads one.
const CONFIG_ID: &str = "config";

/// The id of `--print-config`.
const PRINT_CONFIG_ID: &str = "print_config";

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The settings of `inkgraph serve`: its own, and those of the modules it runs.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Configuration file (TOML). Keys are the flags' long names, e.g. `max-depth = 20`;
    /// relative paths in it are relative to the file. The default file may be absent; a file
    /// named by flag or variable must exist.
    #[arg(long, env = "INKGRAPH_CONFIG", default_value = DEFAULT_CONFIG_FILE, value_name = "FILE")]
    pub config: PathBuf,
    /// Where the blog is and what everyone sees.
    #[command(flatten)]
    pub content: ContentArgs,
    /// Address to listen on.
    #[arg(
        long,
        env = "INKGRAPH_LISTEN",
        default_value = "127.0.0.1:8000",
        value_parser = parse_listen,
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,
    /// How requests are answered.
    #[command(flatten)]
    pub http: HttpConfig,
    /// Whether and how the content folder is followed.
    #[command(flatten)]
    pub watch: WatchArgs,
    /// How mutations write (with `--editor-token`).
    #[command(flatten)]
    pub store: StoreOptions,
    /// Log line format.
    #[arg(long, env = "INKGRAPH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `inkgraph=debug,tower_http=info` [default: RUST_LOG, else info]
    #[arg(long, env = "INKGRAPH_LOG", value_parser = parse_log_filter, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Shutdown.
    #[command(flatten)]
    pub run: ServeOptions,
    /// Webhooks on every new version (`outputs::webhooks`).
    #[command(flatten)]
    pub webhooks: crate::outputs::webhooks::WebhookArgs,
    /// Print the effective configuration (as TOML) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Parses `--listen`: an address with a port (`127.0.0.1:8000`, `0.0.0.0:8000`,
/// `[::1]:8000`, `localhost:8000`), or a port alone (`8000` or `:8000`), which means
/// `127.0.0.1:PORT`: loopback, like the default (listen on every interface with
/// `0.0.0.0:PORT`).
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port_only = text.strip_prefix(':').unwrap_or(text);
    let port = match text.strip_prefix("localhost:") {
        Some(port) => port,
        None => port_only,
    };
    match port.parse::<u16>() {
        Ok(port) => Ok(SocketAddr::from(([127, 0, 0, 1], port))),
        Err(_) => Err(format!(
            "`{text}` is not an address like 127.0.0.1:8000 or 0.0.0.0:8000, nor a port like 8000"
        )),
    }
}

/// A log filter that `tracing_subscriber` accepts.
pub fn parse_log_filter(filter: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(filter)
        .map(|_| filter.to_string())
        .map_err(|err| {
            format!("`{filter}` is not a log filter such as `info` or `inkgraph=debug` ({err})")
        })
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--flag` on the command line.
    Flag(String),
    /// An environment variable.
    Env(String),
    /// A line of the configuration file.
    File { path: PathBuf, line: usize },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag(long) => write!(f, "--{long}"),
            Origin::Env(name) => f.write_str(name),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
        }
    }
}

/// A command line or configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// clap's own: usage errors, and `--help` and `--version` (its `exit` prints them).
    #[error(transparent)]
    Clap(#[from] clap::Error),
    /// The configuration file cannot be read.
    #[error("cannot read the configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The configuration file is not TOML.
    #[error("invalid configuration file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// A key of the configuration file that is no setting.
    #[error("{}:{line}: unknown key `{key}`; the keys are the flags' long names: {valid}", path.display())]
    UnknownKey {
        path: PathBuf,
        line: usize,
        key: String,
        valid: String,
    },
    /// A value its setting refuses.
    #[error("invalid `{key}` ({origin}): {reason}")]
    Invalid {
        /// The setting: the flag's long name, the file's key.
        key: String,
        origin: Origin,
        /// Why (never a secret's value).
        reason: String,
    },
}

impl SettingsError {
    /// Prints the error and exits: clap's way (exit 0 for `--help`), else with code 2.
    pub fn exit(self) -> ! {
        match self {
            SettingsError::Clap(err) => err.exit(),
            other => {
                eprintln!("error: {other}");
                std::process::exit(2)
            }
        }
    }
}

/// A parsed command line.
#[derive(Debug)]
pub struct Parsed {
    /// What clap parsed, with the configuration file's values in place of defaults.
    pub matches: ArgMatches,
    /// The configuration file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// The command as parsed (its arguments describe the settings).
    command: Command,
}

/// Parses `argv` (program name first) against `command`, layering the configuration file of
/// the chosen subcommand (when it has a `--config` argument) under its flags and variables.
pub fn parse<I, T>(command: Command, argv: I) -> Result<Parsed, SettingsError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let command = command
        .mut_subcommands(|sub| sub.mut_args(flag_takes_words))
        .mut_args(flag_takes_words);

    // 1. The command line alone.
    let without_env = command
        .clone()
        .mut_subcommands(|sub| sub.mut_args(|arg| arg.env(None)))
        .mut_args(|arg| arg.env(None));
    let given = match without_env.try_get_matches_from(&argv) {
        Ok(matches) => matches,
        Err(err) => return Err(flag_error(&command, &argv, err)),
    };
    let (name, given) = match given.subcommand() {
        Some((name, matches)) => (Some(name.to_string()), matches.clone()),
        None => (None, given),
    };
    let target = match &name {
        Some(name) => command.find_subcommand(name).unwrap_or(&command),
        None => &command,
    };

    // 2. Variables, then the file, each value checked by its setting.
    for arg in settings(target) {
        if given.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            continue;
        }
        let Some(var) = arg.get_env() else { continue };
        if let Some(value) = std::env::var_os(var) {
            check_value(arg, &value).map_err(|reason| SettingsError::Invalid {
                key: long_name(arg),
                origin: Origin::Env(var.to_string_lossy().into_owned()),
                reason,
            })?;
        }
    }
    let (config_file, defaults) = match config_path(target, &given) {
        Some((path, explicit)) => match read_file(&path, explicit)? {
            Some(text) => (Some(path.clone()), file_defaults(target, &path, &text)?),
            None => (None, HashMap::new()),
        },
        None => (None, HashMap::new()),
    };

    // 3. The real parse, with the file's values as defaults.
    let with_file = |cmd: Command| {
        cmd.mut_args(|arg| match defaults.get(arg.get_id().as_str()) {
            Some(value) => arg.default_value(OsStr::from(value.clone())),
            None => arg,
        })
    };
    let command = match &name {
        Some(name) => command.mut_subcommands(|sub| {
            if sub.get_name() == name {
                with_file(sub)
            } else {
                sub
            }
        }),
        None => with_file(command),
    };
    let matches = command.clone().try_get_matches_from(&argv)?;
    Ok(Parsed {
        matches,
        config_file,
        command,
    })
}

impl Parsed {
    /// The effective settings of the chosen subcommand as a configuration file would hold
    /// them; secrets are never printed, only whether they are set.
    pub fn to_toml(&self) -> String {
        let (command, matches) = match self.matches.subcommand() {
            Some((name, matches)) => (
                self.command.find_subcommand(name).unwrap_or(&self.command),
                matches,
            ),
            None => (&self.command, &self.matches),
        };
        let mut out = format!(
            "# inkgraph {}: effective configuration\n",
            command.get_name()
        );
        if let Some(path) = &self.config_file {
            out.push_str(&format!("# read from {}\n", path.display()));
        }
        let mut lines = String::new();
        for arg in settings(command) {
            let id = arg.get_id().as_str();
            let key = long_name(arg);
            if arg.is_hide_env_values_set() {
                let set = matches
                    .get_raw(id)
                    .is_some_and(|mut values| values.any(|value| !value.is_empty()));
                out.push_str(&match set {
                    true => format!("# {key} is set (not shown)\n"),
                    false => format!("# {key} is not set\n"),
                });
            } else if let Some(value) = toml_value(matches, id) {
                lines.push_str(&format!("{key} = {value}\n"));
            }
        }
        out + &lines
    }
}

/// Flags (`--drafts`) take words from variables and the file: `1`, `yes`, `on`, `true` and
/// `0`, `no`, `off`, `false`.
fn flag_takes_words(arg: Arg) -> Arg {
    match arg.get_action() {
        ArgAction::SetTrue => arg.value_parser(BoolishValueParser::new()),
        _ => arg,
    }
}

/// The arguments that are settings: named (`--x`), not `--help`/`--version`, not the
/// configuration file's own.
fn settings(command: &Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|arg| {
        let id = arg.get_id().as_str();
        arg.get_long().is_some()
            && id != CONFIG_ID
            && id != PRINT_CONFIG_ID
            && (arg.get_action().takes_values() || matches!(arg.get_action(), ArgAction::SetTrue))
    })
}

fn long_name(arg: &Arg) -> String {
    arg.get_long().unwrap_or(arg.get_id().as_str()).to_string()
}

/// Whether `value` passes `arg`'s value parser; else why not (never the value of a secret).
fn check_value(arg: &Arg, value: &std::ffi::OsStr) -> Result<(), String> {
    let probe = Command::new("probe").arg(
        arg.clone()
            .env(None)
            .required(false)
            .default_value(OsStr::from(value.to_os_string())),
    );
    match probe.try_get_matches_from(["probe"]) {
        Ok(_) => Ok(()),
        Err(err) => Err(reason(&err, arg.is_hide_env_values_set())),
    }
}

/// What a clap value error says about the value, without clap's framing.
fn reason(err: &clap::Error, secret: bool) -> String {
    if let Some(source) = std::error::Error::source(err) {
        return source.to_string();
    }
    let value = match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) if !secret => format!("`{value}`"),
        _ => "the value".to_string(),
    };
    match err.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(valid)) => {
            format!("{value} is not one of: {}", valid.join(", "))
        }
        _ => format!("{value} is refused ({})", err.kind()),
    }
}

/// A bad flag value, worded like bad variable and file values; any other error (usage,
/// `--help`) comes from the real command, so its help names the variables.
fn flag_error(command: &Command, argv: &[OsString], err: clap::Error) -> SettingsError {
    if matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        let long = match err.get(ContextKind::InvalidArg) {
            Some(ContextValue::String(arg)) => arg
                .strip_prefix("--")
                .map(|rest| rest.split([' ', '=']).next().unwrap_or(rest).to_string()),
            _ => None,
        };
        let arg = long.and_then(|long| {
            std::iter::once(command)
                .chain(command.get_subcommands())
                .flat_map(Command::get_arguments)
                .find(|arg| arg.get_long() == Some(long.as_str()))
        });
        if let Some(arg) = arg {
            return SettingsError::Invalid {
                key: long_name(arg),
                origin: Origin::Flag(long_name(arg)),
                reason: reason(&err, arg.is_hide_env_values_set()),
            };
        }
    }
    match command.clone().try_get_matches_from(argv) {
        Err(real) => SettingsError::Clap(real),
        Ok(_) => SettingsError::Clap(err),
    }
}

/// The configuration file to read, and whether it was named (then it must exist); `None`
/// when `command` reads no file.
fn config_path(command: &Command, given: &ArgMatches) -> Option<(PathBuf, bool)> {
    let arg = command
        .get_arguments()
        .find(|arg| arg.get_id() == CONFIG_ID)?;
    if given.value_source(CONFIG_ID) == Some(ValueSource::CommandLine) {
        return given
            .get_one::<PathBuf>(CONFIG_ID)
            .map(|path| (path.clone(), true));
    }
    if let Some(path) = arg.get_env().and_then(std::env::var_os) {
        return Some((PathBuf::from(path), true));
    }
    given
        .get_one::<PathBuf>(CONFIG_ID)
        .map(|path| (path.clone(), false))
}

/// The file's text; `None` when the default file is absent.
fn read_file(path: &Path, explicit: bool) -> Result<Option<String>, SettingsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
        Err(source) => Err(SettingsError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The file's values, by argument id, each checked by its setting's value parser.
fn file_defaults(
    command: &Command,
    path: &Path,
    text: &str,
) -> Result<HashMap<String, String>, SettingsError> {
    let table: BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>> =
        toml::from_str(text).map_err(|err| SettingsError::Parse {
            path: path.to_path_buf(),
            message: err.to_string().trim_end().to_string(),
        })?;
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let line_of = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
    let mut defaults = HashMap::new();
    for (key, value) in entries {
        let line = line_of(key.span().start);
        let Some(arg) = settings(command).find(|arg| arg.get_long() == Some(key.get_ref())) else {
            return Err(SettingsError::UnknownKey {
                path: path.to_path_buf(),
                line,
                key: key.into_inner(),
                valid: settings(command)
                    .map(long_name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let invalid = |reason: String| SettingsError::Invalid {
            key: long_name(arg),
            origin: Origin::File {
                path: path.to_path_buf(),
                line,
            },
            reason,
        };
        let mut value = setting_text(value.get_ref()).map_err(invalid)?;
        let is_path = matches!(
            arg.get_value_hint(),
            ValueHint::AnyPath | ValueHint::DirPath | ValueHint::FilePath
        );
        if is_path && Path::new(&value).is_relative() {
            value = dir.join(&value).to_string_lossy().into_owned();
        }
        check_value(arg, value.as_ref()).map_err(invalid)?;
        defaults.insert(arg.get_id().to_string(), value);
    }
    Ok(defaults)
}

/// A file value as the command line would give it: arrays become comma-separated lists.
fn setting_text(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(text) => Ok(text.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Float(x) => Ok(x.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                toml::Value::Array(_) | toml::Value::Table(_) => {
                    Err("a list holds plain values, not lists or tables".to_string())
                }
                item => setting_text(item),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|items| items.join(",")),
        toml::Value::Table(_) => Err("expected a value, not a table".to_string()),
    }
}

/// A setting's value as TOML: numbers and flags typed, lists as arrays, the rest as given.
fn toml_value(matches: &ArgMatches, id: &str) -> Option<toml::Value> {
    if let Ok(Some(n)) = matches.try_get_one::<usize>(id) {
        return Some(
            i64::try_from(*n)
                .map_or_else(|_| toml::Value::String(n.to_string()), toml::Value::Integer),
        );
    }
    if let Ok(Some(flag)) = matches.try_get_one::<bool>(id) {
        return Some(toml::Value::Boolean(*flag));
    }
    if let Ok(Some(CorsOrigins::List(origins))) = matches.try_get_one::<CorsOrigins>(id) {
        return Some(toml::Value::Array(
            origins.iter().cloned().map(toml::Value::String).collect(),
        ));
    }
    let raw = matches.get_raw(id)?.next()?;
    Some(toml::Value::String(raw.to_string_lossy().into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};
    use std::time::Duration;

    /// `inkgraph serve` without environment variables (a developer's shell must not leak in).
    fn command() -> Command {
        Command::new("inkgraph")
            .subcommand(ServeArgs::augment_args(Command::new("serve")))
            .mut_subcommands(|sub| sub.mut_args(|arg| arg.env(None)))
    }

    fn parse_serve(args: &[&str]) -> Result<(ServeArgs, Parsed), SettingsError> {
        let argv = ["inkgraph", "serve"].iter().chain(args).copied();
        let parsed = parse(command(), argv)?;
        let matches = parsed.matches.subcommand_matches("serve").expect("serve");
        let args = ServeArgs::from_arg_matches(matches)?;
        Ok((args, parsed))
    }

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn file_values_sit_under_flags_and_over_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = file(
            &dir,
            "inkgraph.toml",
            "content = \"blog\"\nmax-depth = 7\nmax-batch = 4\nwatch = true\ntimeout = \"2s\"\n\
             cors-origins = [\"https://a.example\", \"https://b.example\"]\n",
        );
        let (args, parsed) =
            parse_serve(&["--config", &config, "--max-depth", "9"]).expect("parses");
        assert_eq!(args.http.limits.depth, 9, "the flag beats the file");
        assert_eq!(args.http.max_batch, 4, "the file beats the default");
        assert_eq!(args.http.limits.complexity, 10_000, "the default");
        assert!(args.watch.watch);
        assert_eq!(args.http.timeout, Duration::from_secs(2));
        assert_eq!(
            args.http.cors_origins,
            CorsOrigins::List(vec!["https://a.example".into(), "https://b.example".into()])
        );
        assert_eq!(
            args.content.content,
            dir.path().join("blog"),
            "relative to the file"
        );
        assert_eq!(parsed.config_file, Some(PathBuf::from(&config)));
    }

    #[test]
    fn without_a_file_the_settings_are_the_library_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = file(&dir, "empty.toml", "");
        let (args, _) = parse_serve(&["--config", &empty]).expect("parses");
        assert_eq!(
            format!("{:?}", args.http),
            format!("{:?}", HttpConfig::default())
        );
        assert_eq!(
            args.run.shutdown_grace,
            ServeOptions::default().shutdown_grace
        );
        assert_eq!(args.watch.options(), None);
    }

    #[test]
    fn a_named_file_must_exist() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("absent.toml");
        let missing = missing.to_string_lossy();
        match parse_serve(&["--config", &missing]) {
            Err(err @ SettingsError::Read { .. }) => {
                assert!(err.to_string().contains("absent.toml"), "{err}")
            }
            other => panic!("expected a read error, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_key_is_refused_with_the_valid_keys() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = file(&dir, "inkgraph.toml", "# limits\nmax-depht = 3\n");
        let err = parse_serve(&["--config", &config]).expect_err("unknown key");
        let message = err.to_string();
        assert!(
            message.contains("inkgraph.toml:2") && message.contains("`max-depht`"),
            "{message}"
        );
        for valid in ["max-depth", "timeout", "cors-origins", "watch", "content"] {
            assert!(message.contains(valid), "{valid} not listed: {message}");
        }
        for meta in ["print-config", ", config"] {
            assert!(!message.contains(meta), "{meta} is no file key: {message}");
        }
    }

    #[test]
    fn a_bad_file_value_names_the_file_line_and_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (text, key, line, why) in [
            (
                "max-depth = 0\n",
                "max-depth",
                1,
                "smallest useful value, 1",
            ),
            ("\ntimeout = \"soon\"\n", "timeout", 2, "not a duration"),
            ("timeout = \"0s\"\n", "timeout", 1, "longer than 0"),
            ("log-format = \"xml\"\n", "log-format", 1, "text, json"),
            ("watch = \"maybe\"\n", "watch", 1, ""),
            (
                "cors-origins = [\"a.example\"]\n",
                "cors-origins",
                1,
                "not an origin",
            ),
            ("listen = \"here\"\n", "listen", 1, ""),
            ("max-batch = { n = 1 }\n", "max-batch", 1, "not a table"),
        ] {
            let config = file(&dir, "inkgraph.toml", text);
            let message = parse_serve(&["--config", &config])
                .expect_err(text)
                .to_string();
            assert!(
                message.contains(&format!("`{key}`"))
                    && message.contains(&format!("inkgraph.toml:{line}"))
                    && message.contains(why),
                "{text}: {message}"
            );
        }
    }

    #[test]
    fn a_bad_token_is_refused_without_repeating_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = file(&dir, "inkgraph.toml", "preview-token = \"hunter2\"\n");
        let message = parse_serve(&["--config", &config])
            .expect_err("short token")
            .to_string();
        assert!(message.contains("at least 16"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        let message = parse_serve(&["--admin-token", "with spaces in it, long enough"])
            .expect_err("token with spaces")
            .to_string();
        assert!(message.contains("--admin-token"), "{message}");
        assert!(!message.contains("with spaces"), "{message}");
    }

    #[test]
    fn print_config_is_a_file_that_reads_back_the_same() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = file(
            &dir,
            "inkgraph.toml",
            "content = \"/srv/blog\"\nmax-depth = 7\ndrafts = true\nwatch-poll = true\n\
             cors-origins = \"https://a.example, https://b.example\"\ncache-max-age = \"5m\"\n\
             log-level = \"inkgraph=debug\"\npreview-token = \"preview-token-0123456789\"\n",
        );
        let (_, first) = parse_serve(&["--config", &config]).expect("parses");
        let printed = first.to_toml();
        assert!(!printed.contains("preview-token-0123456789"), "{printed}");
        assert!(
            printed.contains("# preview-token is set (not shown)"),
            "{printed}"
        );
        assert!(printed.contains("# admin-token is not set"), "{printed}");
        assert!(
            printed.contains("cors-origins = [\"https://a.example\", \"https://b.example\"]"),
            "{printed}"
        );
        let again = file(&dir, "printed.toml", &printed);
        let (args, second) = parse_serve(&["--config", &again]).expect("reads back");
        let body = |text: &str| -> String {
            text.lines()
                .filter(|line| !line.starts_with("# read from"))
                .collect::<Vec<_>>()
                .join("\n")
                .replace(
                    "# preview-token is set (not shown)",
                    "# preview-token is not set",
                )
        };
        assert_eq!(body(&second.to_toml()), body(&printed));
        assert!(args.content.drafts);
        assert_eq!(args.log_level.as_deref(), Some("inkgraph=debug"));
        assert_eq!(args.http.cache_max_age, Duration::from_secs(300));
    }

    #[test]
    fn flags_and_file_take_words_for_yes_and_no() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (word, on) in [
            ("\"yes\"", true),
            ("\"on\"", true),
            ("1", true),
            ("\"no\"", false),
        ] {
            let config = file(&dir, "inkgraph.toml", &format!("future = {word}\n"));
            let (args, _) = parse_serve(&["--config", &config]).expect(word);
            assert_eq!(args.content.future, on, "{word}");
        }
    }

    /// The convention every setting follows, so a new one cannot drift from it.
    #[test]
    fn every_setting_has_help_a_variable_and_a_file_key() {
        let command = ServeArgs::augment_args(Command::new("serve"));
        let mut count = 0;
        for arg in settings(&command) {
            count += 1;
            let long = long_name(arg);
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(help.len() > 10, "--{long} has no help");
            let expected = match long.as_str() {
                // Older than the convention.
                "log-level" => "INKGRAPH_LOG".to_string(),
                _ => format!("INKGRAPH_{}", long.to_uppercase().replace('-', "_")),
            };
            assert_eq!(
                arg.get_env().map(|env| env.to_string_lossy().into_owned()),
                Some(expected),
                "--{long}"
            );
        }
        assert!(count >= 37, "{count} settings");
    }
}
