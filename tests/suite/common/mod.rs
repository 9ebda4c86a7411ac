//! Shared helpers for the integration tests.
#![allow(dead_code)]

use inkgraph::graph::{Snapshot, Visibility};
use inkgraph::load::{self, LoadOptions};
use std::path::{Path, PathBuf};

/// Path of a fixture folder under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Loads a folder with the given visibility; panics only if the folder itself is missing.
pub fn load_dir(root: &Path, visibility: Visibility) -> Snapshot {
    load::load(&LoadOptions {
        root: root.to_path_buf(),
        visibility,
    })
    .expect("content root exists")
}

pub fn load_fixture(name: &str) -> Snapshot {
    load_dir(&fixture(name), Visibility::default())
}

/// The bundled sample blog.
pub fn sample_blog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// The real corpus `<name>` from `$INKGRAPH_REAL_CORPUS/<name>` when that variable is set (it
/// must exist then), else from `../shared/corpus/<name>` when present (it is not part of a
/// fresh clone). When absent, the calling test says so on the process's stderr and passes.
pub fn shared_corpus(name: &str) -> Option<PathBuf> {
    let (path, asked) = match std::env::var_os("INKGRAPH_REAL_CORPUS") {
        Some(dir) => (PathBuf::from(dir).join(name), true),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/corpus")
                .join(name),
            false,
        ),
    };
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        !asked,
        "INKGRAPH_REAL_CORPUS is set but {} is not a folder",
        path.display()
    );
    // Written to stderr directly: the test harness captures `eprintln!` of passing tests, and
    // a skip must show in a plain `cargo test`.
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("a real-corpus test")
        .to_string();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: real corpus {} is absent (set INKGRAPH_REAL_CORPUS to a folder holding `{name}/`)",
        path.display()
    );
    None
}

/// Copies a folder recursively (fixtures that tests modify or extend).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

use inkgraph::api::{build_schema, QueryLimits};
use inkgraph::site::ServedSite;
use std::sync::Arc;

/// Runs GraphQL queries in-process against one loaded folder.
pub struct Api {
    pub served: Arc<ServedSite>,
    schema: inkgraph::api::InkSchema,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    pub fn new(root: &Path, visibility: Visibility) -> Api {
        Api {
            served: ServedSite::new(load_dir(root, visibility)),
            schema: build_schema(QueryLimits::default()),
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime"),
        }
    }

    pub fn sample() -> Api {
        Api::new(&sample_blog(), Visibility::default())
    }

    /// The full response as JSON (`data` and `errors`).
    pub fn run(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        self.run_as(inkgraph::graph::Audience::Public, query, variables)
    }

    /// The full response for a given audience.
    pub fn run_as(
        &self,
        audience: inkgraph::graph::Audience,
        query: &str,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(self.served.clone())
            .data(audience);
        let response = self.runtime.block_on(self.schema.execute(request));
        serde_json::to_value(&response).expect("JSON response")
    }

    /// `data` of a query that must succeed.
    pub fn data(&self, query: &str) -> serde_json::Value {
        self.data_with(query, serde_json::json!({}))
    }

    pub fn data_with(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let response = self.run(query, variables);
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// The first error message of a query that must fail.
    pub fn error(&self, query: &str) -> String {
        let response = self.run(query, serde_json::json!({}));
        response["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {response:#}"))
            .to_string()
    }
}
