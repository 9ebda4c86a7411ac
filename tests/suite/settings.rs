//! `inkgraph serve`'s settings as an operator meets them: each comes from a flag, else its
//! `INKGRAPH_*` variable, else the configuration file, else its default — for every kind of
//! value — and a bad value anywhere stops the server naming where it came from.

use std::path::Path;
use std::process::Command;

fn inkgraph(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inkgraph"));
    // Only what a test sets: no INKGRAPH_* from the developer's shell; no inkgraph.toml of
    // the working folder.
    command.env_clear().current_dir(dir);
    command
}

/// `inkgraph serve --print-config` in `dir`; add flags, variables and run.
fn serve(dir: &Path) -> Command {
    let mut command = inkgraph(dir);
    command.args(["serve", "--print-config"]);
    command
}

/// Runs `command` and returns the printed configuration.
fn print_config(command: &mut Command) -> toml::Table {
    let out = command.output().expect("runs");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    toml::from_str(&printed).unwrap_or_else(|e| panic!("{e}: {printed}"))
}

/// Runs `command` expecting a refusal; returns stderr.
fn refusal(command: &mut Command) -> String {
    let out = command.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

/// One setting of each kind, with the value each layer gives it.
struct Layers {
    key: &'static str,
    env: &'static str,
    default: toml::Value,
    file: &'static str,
    from_file: toml::Value,
    from_env: (&'static str, toml::Value),
    flag: Vec<&'static str>,
    from_flag: toml::Value,
}

fn strings(items: &[&str]) -> toml::Value {
    toml::Value::Array(
        items
            .iter()
            .map(|s| toml::Value::String(s.to_string()))
            .collect(),
    )
}

fn layers() -> Vec<Layers> {
    use toml::Value::{Boolean, Integer, String as Text};
    vec![
        Layers {
            key: "watch",
            env: "INKGRAPH_WATCH",
            default: Boolean(false),
            file: "watch = true",
            from_file: Boolean(true),
            from_env: ("false", Boolean(false)),
            flag: vec!["--watch"],
            from_flag: Boolean(true),
        },
        Layers {
            key: "max-batch",
            env: "INKGRAPH_MAX_BATCH",
            default: Integer(10),
            file: "max-batch = 4",
            from_file: Integer(4),
            from_env: ("5", Integer(5)),
            flag: vec!["--max-batch", "6"],
            from_flag: Integer(6),
        },
        Layers {
            key: "timeout",
            env: "INKGRAPH_TIMEOUT",
            default: Text("5s".into()),
            file: "timeout = \"2s\"",
            from_file: Text("2s".into()),
            from_env: ("3s", Text("3s".into())),
            flag: vec!["--timeout", "4s"],
            from_flag: Text("4s".into()),
        },
        Layers {
            key: "playground-assets",
            env: "INKGRAPH_PLAYGROUND_ASSETS",
            default: Text("https://unpkg.com".into()),
            file: "playground-assets = \"/from-file\"",
            from_file: Text("/from-file".into()),
            from_env: ("/from-env", Text("/from-env".into())),
            flag: vec!["--playground-assets", "/from-flag"],
            from_flag: Text("/from-flag".into()),
        },
        Layers {
            key: "cors-origins",
            env: "INKGRAPH_CORS_ORIGINS",
            default: Text("*".into()),
            file: "cors-origins = [\"https://file.example\"]",
            from_file: strings(&["https://file.example"]),
            from_env: (
                "https://env.example,https://env2.example",
                strings(&["https://env.example", "https://env2.example"]),
            ),
            flag: vec!["--cors-origins", "https://flag.example"],
            from_flag: strings(&["https://flag.example"]),
        },
    ]
}

#[test]
fn a_flag_beats_its_variable_beats_the_file_beats_the_default_for_each_kind_of_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layers = layers();
    let defaults = print_config(&mut serve(dir.path()));
    for layer in &layers {
        assert_eq!(
            defaults[layer.key], layer.default,
            "default of {}",
            layer.key
        );
    }

    let file = layers.iter().map(|l| l.file).collect::<Vec<_>>().join("\n");
    std::fs::write(dir.path().join("inkgraph.toml"), file).expect("write");
    let from_file = print_config(&mut serve(dir.path()));
    for layer in &layers {
        assert_eq!(from_file[layer.key], layer.from_file, "file: {}", layer.key);
    }

    let with_env = || {
        let mut command = serve(dir.path());
        for layer in &layers {
            command.env(layer.env, layer.from_env.0);
        }
        command
    };
    let from_env = print_config(&mut with_env());
    for layer in &layers {
        assert_eq!(from_env[layer.key], layer.from_env.1, "env: {}", layer.key);
    }

    let mut command = with_env();
    for layer in &layers {
        command.args(&layer.flag);
    }
    let from_flags = print_config(&mut command);
    for layer in &layers {
        assert_eq!(
            from_flags[layer.key], layer.from_flag,
            "flag: {}",
            layer.key
        );
    }
}

#[test]
fn a_bad_file_value_names_the_file_and_key_and_an_unknown_key_lists_the_valid_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("site.toml");
    std::fs::write(&file, "listen = \"0.0.0.0:8000\"\nmax-body-bytes = 100\n").expect("write");
    let stderr = refusal(serve(dir.path()).env("INKGRAPH_CONFIG", &file));
    assert!(
        stderr.contains("`max-body-bytes`")
            && stderr.contains(&format!("{}:2", file.display()))
            && stderr.contains("smallest useful value, 256"),
        "{stderr}"
    );

    std::fs::write(&file, "max-connection = 10\n").expect("write");
    let stderr = refusal(serve(dir.path()).arg("--config").arg(&file));
    assert!(
        stderr.contains("unknown key `max-connection`") && stderr.contains("site.toml:1"),
        "{stderr}"
    );
    for valid in [
        "max-connections",
        "listen",
        "watch-poll-interval",
        "admin-token",
    ] {
        assert!(stderr.contains(valid), "{valid} not listed: {stderr}");
    }
}

#[test]
fn a_bad_variable_is_named_even_under_a_good_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("inkgraph.toml"), "timeout = \"2s\"\n").expect("write");
    let stderr = refusal(serve(dir.path()).env("INKGRAPH_TIMEOUT", "soon"));
    assert!(
        stderr.contains("`timeout` (INKGRAPH_TIMEOUT)") && stderr.contains("not a duration"),
        "{stderr}"
    );
    // A flag replaces the variable, which is then not read at all.
    let config = print_config(
        serve(dir.path())
            .env("INKGRAPH_TIMEOUT", "soon")
            .args(["--timeout", "1s"]),
    );
    assert_eq!(config["timeout"].as_str(), Some("1s"));
}

#[test]
fn flag_variables_take_yes_and_no_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (word, on) in [
        ("1", true),
        ("yes", true),
        ("true", true),
        ("0", false),
        ("off", false),
    ] {
        let config = print_config(
            serve(dir.path())
                .env("INKGRAPH_WATCH", word)
                .env("INKGRAPH_DRAFTS", word),
        );
        assert_eq!(config["watch"].as_bool(), Some(on), "INKGRAPH_WATCH={word}");
        assert_eq!(
            config["drafts"].as_bool(),
            Some(on),
            "INKGRAPH_DRAFTS={word}"
        );
    }
}

#[test]
fn check_and_query_share_the_content_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    for command in ["check", "query", "serve"] {
        let out = inkgraph(dir.path())
            .args([command, "--help"])
            .output()
            .expect("runs");
        let help = String::from_utf8_lossy(&out.stdout);
        for (flag, env) in [
            ("--content", "INKGRAPH_CONTENT"),
            ("--drafts", "INKGRAPH_DRAFTS"),
            ("--future", "INKGRAPH_FUTURE"),
        ] {
            assert!(
                help.contains(flag) && help.contains(env),
                "{command} lacks {flag}: {help}"
            );
        }
    }
    let out = inkgraph(dir.path())
        .args(["check"])
        .env("INKGRAPH_CONTENT", dir.path().join("nowhere"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}
