//! `inkgraph serve` configuration, in one place.
//!
//! Every setting has a flag (`--max-depth`), an environment variable (`INKGRAPH_MAX_DEPTH`)
//! and a key in an optional TOML file (`max-depth = 15`, the flag's long name). A flag wins
//! over the environment, which wins over the file, which wins over the default. clap reads
//! flags and environment; [`ServeConfig::resolve`] asks clap where each value came from and
//! fills the ones still at their default from the file.

use crate::api::QueryLimits;
use crate::graph::Visibility;
use crate::load::LoadOptions;
use crate::server::{CorsOrigins, HttpConfig, DEFAULT_ASSETS_URL};
use crate::site::store::{Editor, StoreOptions};
use crate::watch::{WatchMode, WatchOptions};
use clap::parser::ValueSource;
use clap::{ArgMatches, ValueEnum};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The configuration file read when `--config` is not given (it may be absent).
pub const DEFAULT_CONFIG_FILE: &str = "inkgraph.toml";

/// Shortest preview token accepted: a guessable token would publish every draft.
pub const MIN_PREVIEW_TOKEN_LEN: usize = 16;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The flags of `inkgraph serve`. Each also reads an `INKGRAPH_*` variable and a key of the
/// configuration file.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Configuration file (TOML). Keys are the flags' long names, e.g. `max-depth = 20`;
    /// relative paths in it are relative to the file. The default file may be absent; a file
    /// named by flag or variable must exist.
    #[arg(long, env = "INKGRAPH_CONFIG", default_value = DEFAULT_CONFIG_FILE, value_name = "FILE")]
    pub config: PathBuf,
    /// The blog's root folder (a Jekyll site or a plain folder of Markdown).
    #[arg(
        long,
        env = "INKGRAPH_CONTENT",
        default_value = "./content",
        value_name = "DIR"
    )]
    pub content: PathBuf,
    /// Include posts from `_drafts` folders for everyone (like `jekyll --drafts`).
    #[arg(long, env = "INKGRAPH_DRAFTS")]
    pub drafts: bool,
    /// Include posts dated in the future for everyone (like `jekyll --future`).
    #[arg(long, env = "INKGRAPH_FUTURE")]
    pub future: bool,
    /// Address to listen on.
    #[arg(
        long,
        env = "INKGRAPH_LISTEN",
        default_value = "127.0.0.1:8000",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,
    /// Base URL of the playground's JavaScript and CSS (self-host them by pointing this at your
    /// own copy of react@18, react-dom@18 and graphiql@3).
    #[arg(long, env = "INKGRAPH_PLAYGROUND_ASSETS", default_value = DEFAULT_ASSETS_URL, value_name = "URL")]
    pub playground_assets: String,
    /// Deepest query nesting accepted.
    #[arg(long, env = "INKGRAPH_MAX_DEPTH", default_value_t = QueryLimits::default().depth, value_name = "N")]
    pub max_depth: usize,
    /// Largest query cost accepted (every field costs 1; a list costs its page size times its
    /// fields, so this also caps aliases).
    #[arg(long, env = "INKGRAPH_MAX_COMPLEXITY", default_value_t = QueryLimits::default().complexity, value_name = "N")]
    pub max_complexity: usize,
    /// Largest request body (and GET query string) accepted, in bytes; larger gets 413 (414).
    #[arg(long, env = "INKGRAPH_MAX_BODY_BYTES", default_value_t = HttpConfig::default().max_body_bytes, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Most operations in one batched POST (a JSON array body).
    #[arg(long, env = "INKGRAPH_MAX_BATCH", default_value_t = HttpConfig::default().max_batch, value_name = "N")]
    pub max_batch: usize,
    /// Longest a query may execute before the client gets a 503 (e.g. 5s, 800ms).
    #[arg(long, env = "INKGRAPH_TIMEOUT", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// `Cache-Control: public, max-age` of GET answers, for browsers, CDNs and nginx.
    #[arg(long, env = "INKGRAPH_CACHE_MAX_AGE", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub cache_max_age: Duration,
    /// Most answers kept in the in-memory response cache (0 turns it off).
    #[arg(long, env = "INKGRAPH_RESPONSE_CACHE_ENTRIES", default_value_t = HttpConfig::default().response_cache_entries, value_name = "N")]
    pub response_cache_entries: usize,
    /// Most body bytes kept in the in-memory response cache.
    #[arg(long, env = "INKGRAPH_RESPONSE_CACHE_BYTES", default_value_t = HttpConfig::default().response_cache_bytes, value_name = "BYTES")]
    pub response_cache_bytes: usize,
    /// Most Apollo persisted queries remembered (0 turns persisted queries off).
    #[arg(long, env = "INKGRAPH_APQ_ENTRIES", default_value_t = HttpConfig::default().apq_entries, value_name = "N")]
    pub apq_entries: usize,
    /// Origins allowed to call the API from browsers: `*` (any site, no credentials) or a
    /// comma-separated list such as `https://blog.example.org,https://example.org`.
    #[arg(
        long,
        env = "INKGRAPH_CORS_ORIGINS",
        default_value = "*",
        value_name = "ORIGINS"
    )]
    pub cors_origins: String,
    /// How long browsers may cache a CORS preflight answer (browsers cap it, Chrome at 2h).
    #[arg(long, env = "INKGRAPH_CORS_MAX_AGE", default_value = "2h", value_parser = parse_duration, value_name = "DURATION")]
    pub cors_max_age: Duration,
    /// Bearer token that shows drafts and future posts to requests sending
    /// `Authorization: Bearer <token>` (at least 16 characters) [default: none, preview off]
    #[arg(
        long,
        env = "INKGRAPH_PREVIEW_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub preview_token: Option<String>,
    /// Bearer token that `POST /admin/reload` requires (at least 16 characters)
    /// [default: none, the endpoint answers 404]
    #[arg(
        long,
        env = "INKGRAPH_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,
    /// Bearer token that mutations (createPost, updatePost, …) require; set it on the one
    /// instance that writes (at least 16 characters) [default: none, read-only]
    #[arg(
        long,
        env = "INKGRAPH_EDITOR_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub editor_token: Option<String>,
    /// Who mutations are recorded as: the git commit author and the audit log's editor.
    #[arg(
        long,
        env = "INKGRAPH_EDITOR_NAME",
        default_value = "inkgraph editor",
        value_name = "NAME"
    )]
    pub editor_name: String,
    /// The git commit author's email for mutations.
    #[arg(
        long,
        env = "INKGRAPH_EDITOR_EMAIL",
        default_value = "editor@inkgraph.invalid",
        value_name = "EMAIL"
    )]
    pub editor_email: String,
    /// Most earlier versions kept in `.inkgraph-trash/` when the content folder is not a git
    /// work tree (the oldest go first).
    #[arg(long, env = "INKGRAPH_TRASH_ENTRIES", default_value_t = StoreOptions::default().trash_entries, value_name = "N")]
    pub trash_entries: usize,
    /// Watch the content folder and serve changes as soon as files are saved.
    #[arg(long, env = "INKGRAPH_WATCH")]
    pub watch: bool,
    /// Watch by polling instead of native file events (for mounts where events do not
    /// arrive, e.g. some Docker volumes); implies --watch.
    #[arg(long, env = "INKGRAPH_WATCH_POLL")]
    pub watch_poll: bool,
    /// How often --watch-poll scans the folder.
    #[arg(long, env = "INKGRAPH_WATCH_POLL_INTERVAL", default_value = "500ms", value_parser = parse_duration, value_name = "DURATION")]
    pub watch_poll_interval: Duration,
    /// Quiet time after the last file event before reloading (an editor's save is several
    /// events).
    #[arg(long, env = "INKGRAPH_WATCH_DEBOUNCE", default_value = "50ms", value_parser = parse_duration, value_name = "DURATION")]
    pub watch_debounce: Duration,
    /// Log line format.
    #[arg(long, env = "INKGRAPH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `inkgraph=debug,tower_http=info` [default: RUST_LOG, else info]
    #[arg(long, env = "INKGRAPH_LOG", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// After SIGTERM or Ctrl-C, how long in-flight requests may take before the server exits.
    #[arg(long, env = "INKGRAPH_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_grace: Duration,
    /// Most open client connections (HTTP and WebSocket); one more is answered 503 and
    /// closed. Lowered at start to fit the open-file limit.
    #[arg(long, env = "INKGRAPH_MAX_CONNECTIONS", default_value_t = HttpConfig::default().max_connections, value_name = "N")]
    pub max_connections: usize,
    /// Longest a client may take to send a request's headers (from its first byte, or from
    /// connecting); then the connection is closed.
    #[arg(long, env = "INKGRAPH_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub header_read_timeout: Duration,
    /// Longest a client may take to send a request's body; then it gets 408 and the
    /// connection is closed.
    #[arg(long, env = "INKGRAPH_REQUEST_BODY_TIMEOUT", default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub request_body_timeout: Duration,
    /// How long a connection may sit idle between requests before it is closed (0 turns
    /// keep-alive off). Keep it above the idle timeout of a proxy in front.
    #[arg(long, env = "INKGRAPH_KEEP_ALIVE_TIMEOUT", default_value = "75s", value_parser = parse_duration, value_name = "DURATION")]
    pub keep_alive_timeout: Duration,
    /// Most open WebSocket connections on /graphql/ws; one more is answered 503.
    #[arg(long, env = "INKGRAPH_MAX_WS_CONNECTIONS", default_value_t = HttpConfig::default().max_ws_connections, value_name = "N")]
    pub max_ws_connections: usize,
    /// Most operations (subscriptions, queries) running at once on one WebSocket; one more
    /// is answered with an error (the socket stays open).
    #[arg(long, env = "INKGRAPH_MAX_WS_SUBSCRIPTIONS", default_value_t = HttpConfig::default().max_ws_subscriptions, value_name = "N")]
    pub max_ws_subscriptions: usize,
    /// Largest WebSocket message a client may send, in bytes; a larger one closes the socket
    /// with code 1009.
    #[arg(long, env = "INKGRAPH_MAX_WS_MESSAGE_BYTES", default_value_t = HttpConfig::default().max_ws_message_bytes, value_name = "BYTES")]
    pub max_ws_message_bytes: usize,
    /// Most aliased fields in one request (a batch counts all its operations; a fragment's
    /// aliases count once per spread).
    #[arg(long, env = "INKGRAPH_MAX_ALIASES", default_value_t = HttpConfig::default().max_aliases, value_name = "N")]
    pub max_aliases: usize,
    /// Largest answer in bytes (a batch's answers together); a larger one is replaced by an
    /// error naming this limit.
    #[arg(long, env = "INKGRAPH_MAX_RESPONSE_BYTES", default_value_t = HttpConfig::default().max_response_bytes, value_name = "BYTES")]
    pub max_response_bytes: usize,
    /// Most GraphQL requests parsing or executing at once (off the async workers) [default:
    /// the number of CPUs]
    #[arg(long, env = "INKGRAPH_MAX_CONCURRENT_QUERIES", value_name = "N")]
    pub max_concurrent_queries: Option<usize>,
    /// Most GraphQL requests waiting for a turn; more are refused at once with 503 and
    /// Retry-After.
    #[arg(long, env = "INKGRAPH_MAX_QUEUED_QUERIES", default_value_t = HttpConfig::default().max_queued_queries, value_name = "N")]
    pub max_queued_queries: usize,
    /// Most memory the parsed-document cache holds, in bytes (estimated from the documents'
    /// length).
    #[arg(long, env = "INKGRAPH_DOCUMENT_CACHE_BYTES", default_value_t = HttpConfig::default().document_cache_bytes, value_name = "BYTES")]
    pub document_cache_bytes: usize,
    /// Print the effective configuration (as TOML) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// The keys of the configuration file: the flags' long names.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drafts: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub future: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playground_assets: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_complexity: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_max_age: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_cache_entries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_cache_bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apq_entries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_origins: Option<Origins>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_max_age: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editor_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editor_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editor_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trash_entries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_poll: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_poll_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_debounce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_read_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ws_connections: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ws_subscriptions: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ws_message_bytes: Option<usize>,
    pub max_aliases: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_queries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_queued_queries: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_cache_bytes: Option<usize>,
}

/// `cors-origins` in the file: `"*"`, a comma-separated string, or an array of origins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Origins {
    One(String),
    Many(Vec<String>),
}

/// Everything `inkgraph serve` runs with, after flags, environment, file and defaults.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The configuration file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// The blog's root folder.
    pub content: PathBuf,
    /// What the public sees besides published posts.
    pub visibility: Visibility,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// How requests are answered.
    pub http: HttpConfig,
    /// Log line format.
    pub log_format: LogFormat,
    /// Log filter; `None` means `RUST_LOG`, else `info`.
    pub log_level: Option<String>,
    /// Bound on draining in-flight requests at shutdown.
    pub shutdown_grace: Duration,
    /// How to follow the content folder; `None` serves what was loaded at start (SIGHUP and
    /// `POST /admin/reload` still reload).
    pub watch: Option<WatchOptions>,
    /// Print the configuration and exit.
    pub print_config: bool,
    /// How mutations write (editor name, trash size); they run only with
    /// `http.editor_token`.
    pub store: StoreOptions,
}

/// A configuration that cannot be used; the message names the setting and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid `{key}` ({source_name}): {message}")]
    Invalid {
        key: String,
        source_name: String,
        message: String,
    },
}

impl ServeConfig {
    /// Combines parsed flags/environment (`args`, with `matches` telling where each came
    /// from) with the configuration file, and checks the result.
    pub fn resolve(args: ServeArgs, matches: &ArgMatches) -> Result<ServeConfig, ConfigError> {
        let explicit_file = !is_default(matches, "config");
        let file = read_file(&args.config, explicit_file)?;
        let (file, file_dir) = match file {
            Some((file, dir)) => (file, Some(dir)),
            None => (FileConfig::default(), None),
        };
        Self::merge(args, matches, file, file_dir)
    }

    /// [`ServeConfig::resolve`] with the file's contents given; `file_dir` (the file's folder,
    /// `None` when no file was read) resolves relative paths in it.
    pub fn merge(
        args: ServeArgs,
        matches: &ArgMatches,
        file: FileConfig,
        file_dir: Option<PathBuf>,
    ) -> Result<ServeConfig, ConfigError> {
        let file_name = file_dir
            .as_ref()
            .map(|_| args.config.display().to_string())
            .unwrap_or_default();
        // Where a setting came from, for error messages.
        let origin = |id: &str, flag: &str, env: &str| -> String {
            match matches.value_source(id) {
                Some(ValueSource::CommandLine) => format!("--{flag}"),
                Some(ValueSource::EnvVariable) => env.to_string(),
                _ if !file_name.is_empty() => format!("{flag} in {file_name}"),
                _ => "default".to_string(),
            }
        };
        let pick = |id: &str| is_default(matches, id);
        macro_rules! take {
            ($field:ident) => {
                match (pick(stringify!($field)), file.$field.clone()) {
                    (true, Some(value)) => value,
                    _ => args.$field.clone(),
                }
            };
        }
        let duration = |id: &str,
                        flag: &str,
                        env: &str,
                        arg: Duration,
                        text: &Option<String>|
         -> Result<Duration, ConfigError> {
            match (pick(id), text) {
                (true, Some(text)) => {
                    parse_duration(text).map_err(|message| ConfigError::Invalid {
                        key: flag.into(),
                        source_name: origin(id, flag, env),
                        message,
                    })
                }
                _ => Ok(arg),
            }
        };

        let content = match (pick("content"), &file.content, &file_dir) {
            (true, Some(path), Some(dir)) if path.is_relative() => dir.join(path),
            (true, Some(path), _) => path.clone(),
            _ => args.content.clone(),
        };
        let listen = match (pick("listen"), &file.listen) {
            (true, Some(text)) => text.parse().map_err(|err| ConfigError::Invalid {
                key: "listen".into(),
                source_name: origin("listen", "listen", "INKGRAPH_LISTEN"),
                message: format!("`{text}` is not an address like 127.0.0.1:8000 ({err})"),
            })?,
            _ => args.listen,
        };
        let cors_text = match (pick("cors_origins"), &file.cors_origins) {
            (true, Some(Origins::One(text))) => text.clone(),
            (true, Some(Origins::Many(list))) => list.join(","),
            _ => args.cors_origins.clone(),
        };
        let cors_origins = parse_origins(&cors_text).map_err(|message| ConfigError::Invalid {
            key: "cors-origins".into(),
            source_name: origin("cors_origins", "cors-origins", "INKGRAPH_CORS_ORIGINS"),
            message,
        })?;
        let preview_token = match (matches.value_source("preview_token"), &file.preview_token) {
            (None, Some(token)) => Some(token.clone()),
            _ => args.preview_token.clone(),
        }
        .filter(|token| !token.is_empty());
        if let Some(token) = &preview_token {
            if token.chars().count() < MIN_PREVIEW_TOKEN_LEN || token.contains(char::is_whitespace)
            {
                return Err(ConfigError::Invalid {
                    key: "preview-token".into(),
                    source_name: origin("preview_token", "preview-token", "INKGRAPH_PREVIEW_TOKEN"),
                    message: format!(
                        "the token must be at least {MIN_PREVIEW_TOKEN_LEN} characters without spaces, or anyone could guess it and read drafts; generate one with `openssl rand -hex 32`"
                    ),
                });
            }
        }
        let admin_token = match (matches.value_source("admin_token"), &file.admin_token) {
            (None, Some(token)) => Some(token.clone()),
            _ => args.admin_token.clone(),
        }
        .filter(|token| !token.is_empty());
        if let Some(token) = &admin_token {
            if token.chars().count() < MIN_PREVIEW_TOKEN_LEN || token.contains(char::is_whitespace)
            {
                return Err(ConfigError::Invalid {
                    key: "admin-token".into(),
                    source_name: origin("admin_token", "admin-token", "INKGRAPH_ADMIN_TOKEN"),
                    message: format!(
                        "the token must be at least {MIN_PREVIEW_TOKEN_LEN} characters without spaces; generate one with `openssl rand -hex 32`"
                    ),
                });
            }
        }
        let editor_token = match (matches.value_source("editor_token"), &file.editor_token) {
            (None, Some(token)) => Some(token.clone()),
            _ => args.editor_token.clone(),
        }
        .filter(|token| !token.is_empty());
        if let Some(token) = &editor_token {
            if token.chars().count() < MIN_PREVIEW_TOKEN_LEN || token.contains(char::is_whitespace)
            {
                return Err(ConfigError::Invalid {
                    key: "editor-token".into(),
                    source_name: origin("editor_token", "editor-token", "INKGRAPH_EDITOR_TOKEN"),
                    message: format!(
                        "the token must be at least {MIN_PREVIEW_TOKEN_LEN} characters without spaces, or anyone could guess it and rewrite the blog; generate one with `openssl rand -hex 32`"
                    ),
                });
            }
        }
        let store = StoreOptions {
            editor: Editor {
                name: take!(editor_name),
                email: take!(editor_email),
            },
            trash_entries: take!(trash_entries),
            fail_point: None,
        };
        if store.editor.name.trim().is_empty() || store.trash_entries == 0 {
            return Err(ConfigError::Invalid {
                key: "editor-name`/`trash-entries".into(),
                source_name: format!(
                    "{}, {}",
                    origin("editor_name", "editor-name", "INKGRAPH_EDITOR_NAME"),
                    origin("trash_entries", "trash-entries", "INKGRAPH_TRASH_ENTRIES")
                ),
                message: "the editor needs a name and the trash room for at least 1 entry".into(),
            });
        }
        let watch_poll: bool = take!(watch_poll);
        let watch_enabled: bool = take!(watch) || watch_poll;
        let watch_debounce = duration(
            "watch_debounce",
            "watch-debounce",
            "INKGRAPH_WATCH_DEBOUNCE",
            args.watch_debounce,
            &file.watch_debounce,
        )?;
        let watch_poll_interval = duration(
            "watch_poll_interval",
            "watch-poll-interval",
            "INKGRAPH_WATCH_POLL_INTERVAL",
            args.watch_poll_interval,
            &file.watch_poll_interval,
        )?;
        if watch_poll && watch_poll_interval.is_zero() {
            return Err(ConfigError::Invalid {
                key: "watch-poll-interval".into(),
                source_name: origin(
                    "watch_poll_interval",
                    "watch-poll-interval",
                    "INKGRAPH_WATCH_POLL_INTERVAL",
                ),
                message: "the poll interval must be longer than 0 (e.g. 500ms)".into(),
            });
        }
        let watch = watch_enabled.then_some(WatchOptions {
            mode: match watch_poll {
                true => WatchMode::Poll {
                    interval: watch_poll_interval,
                },
                false => WatchMode::Native,
            },
            debounce: watch_debounce,
        });
        let log_level = match (matches.value_source("log_level"), &file.log_level) {
            (None, Some(level)) => Some(level.clone()),
            _ => args.log_level.clone(),
        };
        if let Some(level) = &log_level {
            tracing_subscriber::EnvFilter::try_new(level).map_err(|err| ConfigError::Invalid {
                key: "log-level".into(),
                source_name: origin("log_level", "log-level", "INKGRAPH_LOG"),
                message: format!(
                    "`{level}` is not a log filter such as `info` or `inkgraph=debug` ({err})"
                ),
            })?;
        }

        let http = HttpConfig {
            playground_assets_url: take!(playground_assets),
            limits: QueryLimits {
                depth: take!(max_depth),
                complexity: take!(max_complexity),
            },
            max_body_bytes: take!(max_body_bytes),
            max_batch: take!(max_batch),
            timeout: duration(
                "timeout",
                "timeout",
                "INKGRAPH_TIMEOUT",
                args.timeout,
                &file.timeout,
            )?,
            cache_max_age: duration(
                "cache_max_age",
                "cache-max-age",
                "INKGRAPH_CACHE_MAX_AGE",
                args.cache_max_age,
                &file.cache_max_age,
            )?,
            response_cache_entries: take!(response_cache_entries),
            response_cache_bytes: take!(response_cache_bytes),
            apq_entries: take!(apq_entries),
            cors_origins,
            cors_max_age: duration(
                "cors_max_age",
                "cors-max-age",
                "INKGRAPH_CORS_MAX_AGE",
                args.cors_max_age,
                &file.cors_max_age,
            )?,
            preview_token,
            admin_token,
            editor_token,
            max_connections: take!(max_connections),
            header_read_timeout: duration(
                "header_read_timeout",
                "header-read-timeout",
                "INKGRAPH_HEADER_READ_TIMEOUT",
                args.header_read_timeout,
                &file.header_read_timeout,
            )?,
            request_body_timeout: duration(
                "request_body_timeout",
                "request-body-timeout",
                "INKGRAPH_REQUEST_BODY_TIMEOUT",
                args.request_body_timeout,
                &file.request_body_timeout,
            )?,
            keep_alive_timeout: duration(
                "keep_alive_timeout",
                "keep-alive-timeout",
                "INKGRAPH_KEEP_ALIVE_TIMEOUT",
                args.keep_alive_timeout,
                &file.keep_alive_timeout,
            )?,
            max_ws_connections: take!(max_ws_connections),
            max_ws_subscriptions: take!(max_ws_subscriptions),
            max_ws_message_bytes: take!(max_ws_message_bytes),
            max_aliases: take!(max_aliases),
            max_response_bytes: take!(max_response_bytes),
            max_concurrent_queries: match (
                matches.value_source("max_concurrent_queries"),
                file.max_concurrent_queries,
            ) {
                (None, Some(n)) => n,
                _ => args
                    .max_concurrent_queries
                    .unwrap_or(HttpConfig::default().max_concurrent_queries),
            },
            max_queued_queries: take!(max_queued_queries),
            document_cache_bytes: take!(document_cache_bytes),
        };
        if let Err(shared) = http.check_distinct_tokens() {
            return Err(ConfigError::Invalid {
                key: "preview-token`/`admin-token`/`editor-token".into(),
                source_name: format!(
                    "{}, {}, {}",
                    origin("preview_token", "preview-token", "INKGRAPH_PREVIEW_TOKEN"),
                    origin("admin_token", "admin-token", "INKGRAPH_ADMIN_TOKEN"),
                    origin("editor_token", "editor-token", "INKGRAPH_EDITOR_TOKEN")
                ),
                message: shared.to_string(),
            });
        }
        for (id, flag, env, value, minimum) in [
            (
                "max_depth",
                "max-depth",
                "INKGRAPH_MAX_DEPTH",
                http.limits.depth,
                1,
            ),
            (
                "max_complexity",
                "max-complexity",
                "INKGRAPH_MAX_COMPLEXITY",
                http.limits.complexity,
                1,
            ),
            (
                "max_body_bytes",
                "max-body-bytes",
                "INKGRAPH_MAX_BODY_BYTES",
                http.max_body_bytes,
                256,
            ),
            (
                "max_batch",
                "max-batch",
                "INKGRAPH_MAX_BATCH",
                http.max_batch,
                1,
            ),
            (
                "max_connections",
                "max-connections",
                "INKGRAPH_MAX_CONNECTIONS",
                http.max_connections,
                1,
            ),
            (
                "max_ws_subscriptions",
                "max-ws-subscriptions",
                "INKGRAPH_MAX_WS_SUBSCRIPTIONS",
                http.max_ws_subscriptions,
                1,
            ),
            (
                "max_ws_message_bytes",
                "max-ws-message-bytes",
                "INKGRAPH_MAX_WS_MESSAGE_BYTES",
                http.max_ws_message_bytes,
                256,
            ),
            (
                "max_response_bytes",
                "max-response-bytes",
                "INKGRAPH_MAX_RESPONSE_BYTES",
                http.max_response_bytes,
                1024,
            ),
            (
                "max_concurrent_queries",
                "max-concurrent-queries",
                "INKGRAPH_MAX_CONCURRENT_QUERIES",
                http.max_concurrent_queries,
                1,
            ),
        ] {
            if value < minimum {
                return Err(ConfigError::Invalid {
                    key: flag.into(),
                    source_name: origin(id, flag, env),
                    message: format!("{value} is below the smallest useful value, {minimum}"),
                });
            }
        }
        for (id, flag, env, value) in [
            (
                "header_read_timeout",
                "header-read-timeout",
                "INKGRAPH_HEADER_READ_TIMEOUT",
                http.header_read_timeout,
            ),
            (
                "request_body_timeout",
                "request-body-timeout",
                "INKGRAPH_REQUEST_BODY_TIMEOUT",
                http.request_body_timeout,
            ),
        ] {
            if value.is_zero() {
                return Err(ConfigError::Invalid {
                    key: flag.into(),
                    source_name: origin(id, flag, env),
                    message: "the timeout must be longer than 0 (e.g. 10s), or slow clients could hold connections forever".into(),
                });
            }
        }
        if http.timeout.is_zero() {
            return Err(ConfigError::Invalid {
                key: "timeout".into(),
                source_name: origin("timeout", "timeout", "INKGRAPH_TIMEOUT"),
                message: "the execution timeout must be longer than 0 (e.g. 5s)".into(),
            });
        }

        Ok(ServeConfig {
            config_file: file_dir.map(|_| args.config.clone()),
            content,
            visibility: Visibility {
                drafts: take!(drafts),
                future: take!(future),
            },
            listen,
            http,
            log_format: take!(log_format),
            log_level,
            shutdown_grace: duration(
                "shutdown_grace",
                "shutdown-grace",
                "INKGRAPH_SHUTDOWN_GRACE",
                args.shutdown_grace,
                &file.shutdown_grace,
            )?,
            watch,
            print_config: args.print_config,
            store,
        })
    }

    /// What the loader needs.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            root: self.content.clone(),
            visibility: self.visibility,
        }
    }

    /// The effective configuration as a configuration file would hold it (the preview token
    /// is never printed).
    pub fn to_toml(&self) -> String {
        let http = &self.http;
        let file = FileConfig {
            content: Some(self.content.clone()),
            drafts: Some(self.visibility.drafts),
            future: Some(self.visibility.future),
            listen: Some(self.listen.to_string()),
            playground_assets: Some(http.playground_assets_url.clone()),
            max_depth: Some(http.limits.depth),
            max_complexity: Some(http.limits.complexity),
            max_body_bytes: Some(http.max_body_bytes),
            max_batch: Some(http.max_batch),
            timeout: Some(format_duration(http.timeout)),
            cache_max_age: Some(format_duration(http.cache_max_age)),
            response_cache_entries: Some(http.response_cache_entries),
            response_cache_bytes: Some(http.response_cache_bytes),
            apq_entries: Some(http.apq_entries),
            cors_origins: Some(match &http.cors_origins {
                CorsOrigins::Any => Origins::One("*".into()),
                CorsOrigins::List(list) => Origins::Many(list.clone()),
            }),
            cors_max_age: Some(format_duration(http.cors_max_age)),
            preview_token: None,
            admin_token: None,
            editor_token: None,
            editor_name: Some(self.store.editor.name.clone()),
            editor_email: Some(self.store.editor.email.clone()),
            trash_entries: Some(self.store.trash_entries),
            watch: Some(self.watch.is_some()),
            watch_poll: Some(matches!(
                self.watch.map(|w| w.mode),
                Some(WatchMode::Poll { .. })
            )),
            watch_poll_interval: match self.watch.map(|w| w.mode) {
                Some(WatchMode::Poll { interval }) => Some(format_duration(interval)),
                _ => None,
            },
            watch_debounce: self.watch.map(|w| format_duration(w.debounce)),
            log_format: Some(self.log_format),
            log_level: self.log_level.clone(),
            shutdown_grace: Some(format_duration(self.shutdown_grace)),
            max_connections: Some(http.max_connections),
            header_read_timeout: Some(format_duration(http.header_read_timeout)),
            request_body_timeout: Some(format_duration(http.request_body_timeout)),
            keep_alive_timeout: Some(format_duration(http.keep_alive_timeout)),
            max_ws_connections: Some(http.max_ws_connections),
            max_ws_subscriptions: Some(http.max_ws_subscriptions),
            max_ws_message_bytes: Some(http.max_ws_message_bytes),
            max_aliases: Some(http.max_aliases),
            max_response_bytes: Some(http.max_response_bytes),
            max_concurrent_queries: Some(http.max_concurrent_queries),
            max_queued_queries: Some(http.max_queued_queries),
            document_cache_bytes: Some(http.document_cache_bytes),
        };
        let mut out = String::from("# inkgraph serve: effective configuration\n");
        if let Some(path) = &self.config_file {
            out.push_str(&format!("# read from {}\n", path.display()));
        }
        out.push_str(if http.preview_token.is_some() {
            "# preview-token is set (not shown)\n"
        } else {
            "# preview-token is not set: preview is off\n"
        });
        out.push_str(if http.admin_token.is_some() {
            "# admin-token is set (not shown)\n"
        } else {
            "# admin-token is not set: POST /admin/reload answers 404\n"
        });
        out.push_str(if http.editor_token.is_some() {
            "# editor-token is set (not shown): mutations write the content folder\n"
        } else {
            "# editor-token is not set: read-only, mutations answer 403\n"
        });
        out.push_str(
            &toml::to_string(&file).unwrap_or_else(|err| format!("# cannot print: {err}\n")),
        );
        out
    }
}

/// Whether the setting `id` was left at its default (neither flag nor environment).
fn is_default(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        None | Some(ValueSource::DefaultValue)
    )
}

/// Reads and parses the configuration file; `None` when the default file is absent.
fn read_file(path: &Path, explicit: bool) -> Result<Option<(FileConfig, PathBuf)>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let file = parse_file(&text).map_err(|message| ConfigError::Parse {
        path: path.to_path_buf(),
        message,
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Some((file, dir)))
}

/// Parses configuration-file text; the error names the line and the unknown or mistyped key.
pub fn parse_file(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|err| err.to_string().trim_end().to_string())
}

/// `*` → any origin; otherwise a comma-separated list of `http(s)://host[:port]` origins.
pub fn parse_origins(text: &str) -> Result<CorsOrigins, String> {
    let items: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect();
    if items.is_empty() || items == ["*"] {
        return Ok(CorsOrigins::Any);
    }
    if items.contains(&"*") {
        return Err("`*` (any origin) cannot be combined with a list of origins".into());
    }
    for item in &items {
        let rest = item
            .strip_prefix("https://")
            .or_else(|| item.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains('/') && item.is_ascii() => {}
            _ => {
                return Err(format!(
                    "`{item}` is not an origin like https://blog.example.org (scheme and host, optional port, no path or trailing slash)"
                ))
            }
        }
    }
    Ok(CorsOrigins::List(
        items.into_iter().map(String::from).collect(),
    ))
}

/// Parses `250ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 5s, 800ms, 2m or 1h"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`; use ms, s, m or h"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

/// The inverse of [`parse_duration`], in the largest whole unit.
pub fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms % 3_600_000 == 0 && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for (text, ms) in [
            ("5s", 5000),
            ("800ms", 800),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("3", 3000),
        ] {
            let parsed = parse_duration(text).expect(text);
            assert_eq!(parsed.as_millis(), ms, "{text}");
            assert_eq!(parse_duration(&format_duration(parsed)), Ok(parsed));
        }
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn origins_are_any_or_a_checked_list() {
        assert_eq!(parse_origins("*"), Ok(CorsOrigins::Any));
        assert_eq!(
            parse_origins("https://a.example, http://localhost:3000"),
            Ok(CorsOrigins::List(vec![
                "https://a.example".into(),
                "http://localhost:3000".into()
            ]))
        );
        assert!(parse_origins("https://a.example/").is_err());
        assert!(parse_origins("a.example").is_err());
        assert!(parse_origins("*, https://a.example").is_err());
    }

    #[test]
    fn unknown_file_keys_are_named() {
        let err = parse_file("max-depht = 3\n").expect_err("unknown key");
        assert!(err.contains("max-depht"), "{err}");
        let err = parse_file("max-depth = \"deep\"\n").expect_err("wrong type");
        assert!(err.contains("max-depth") || err.contains("line 1"), "{err}");
    }
}
