//! Front matter kept as the author wrote it: random edits (set, remove, append) with values
//! full of YAML traps, applied to random real front matter (the sample blog, the fixtures,
//! and `../shared/corpus` when present), read back as exactly the requested values, leave
//! every untouched key's lines byte-for-byte in place and in order, and leave the body alone.

use crate::common;

use common::*;
use inkgraph::corpus::{parse_file, SiteConfig};
use inkgraph::site::store::front_matter::{edit_file, front_matter_of};
use inkgraph::site::store::{Edit, EditError};
use inkgraph::source::{SourceFile, SourceKind};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A real post file with the lines of its keys, as the loader located them.
struct Sample {
    name: String,
    text: String,
    keys: Vec<(String, u32)>,
    body_line: u32,
}

fn collect(root: &Path, into: &mut Vec<Sample>) {
    for entry in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !text.starts_with("---") || front_matter_of(&text).is_err() {
            continue;
        }
        let file = SourceFile {
            path: "_posts/2024-01-01-x.md".into(),
            abs_path: PathBuf::from("x.md"),
            kind: SourceKind::Post,
            categories: vec![],
        };
        let parsed = parse_file(&file, text.as_bytes(), None, &SiteConfig::default());
        if let Some(doc) = parsed.document {
            into.push(Sample {
                name: path.display().to_string(),
                keys: doc.key_lines.clone(),
                body_line: doc.body_line,
                text,
            });
        }
    }
}

fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut all = Vec::new();
        collect(&sample_blog(), &mut all);
        collect(&fixture(""), &mut all);
        if let Some(corpus) = shared_corpus("joshbeckman") {
            collect(&corpus, &mut all);
        }
        assert!(all.len() >= 10, "{} samples", all.len());
        all
    })
}

/// Strings made of YAML's traps.
fn tricky_string() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "plain words",
        ":",
        ": ",
        "@",
        "*",
        "-",
        "- ",
        "? ",
        "#",
        " #",
        "'",
        "\"",
        "yes",
        "no",
        "On",
        "null",
        "~",
        "1.10",
        "0x1F",
        "2025-08-07",
        "12:30",
        "\n",
        "\n\n",
        "\t",
        "é",
        "🚀",
        "[",
        "]",
        "{",
        "}",
        "|",
        ">",
        "%",
        "!",
        "&a",
        " ",
        "\\",
        "\u{2028}",
        "\r",
        "\u{7f}",
        ",",
        "`",
        "=",
        "<<",
        "title: x",
        "---",
        "...",
    ]);
    prop::collection::vec(pieces, 0..5).prop_map(|parts| parts.concat())
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => tricky_string().prop_map(Value::String),
        1 => any::<i32>().prop_map(Value::from),
        1 => (-1e6f64..1e6).prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Value::Array),
        1 => prop::collection::vec(("[a-z]{1,6}", scalar()), 0..3)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
    ]
}

/// Which key an edit names: one of the file's (by position) or a new one.
#[derive(Debug, Clone)]
enum KeyPick {
    Existing(usize),
    New(&'static str),
}

#[derive(Debug, Clone)]
enum Op {
    Set(Value),
    Remove,
    Append(Value),
}

fn edits() -> impl Strategy<Value = Vec<(KeyPick, Op)>> {
    let key = prop_oneof![
        3 => (0usize..64).prop_map(KeyPick::Existing),
        1 => prop::sample::select(vec!["new_key", "mood", "x-y", "yes", "k:1", "with space", "ümlaut", "@at", "2024"])
            .prop_map(KeyPick::New),
    ];
    let op = prop_oneof![
        4 => value().prop_map(Op::Set),
        1 => Just(Op::Remove),
        1 => scalar().prop_map(Op::Append),
    ];
    prop::collection::vec((key, op), 1..5)
}

/// What the front matter must read as after the edits (computed here, apart from the
/// editor's own bookkeeping).
fn expected(mut map: Map<String, Value>, edits: &[Edit]) -> Map<String, Value> {
    for edit in edits {
        match edit {
            Edit::Set(k, v) => {
                map.insert(k.clone(), v.clone());
            }
            Edit::Remove(k) => {
                map.shift_remove(k);
            }
            Edit::Append(k, item) => {
                let list = match map.get(k) {
                    Some(Value::Array(items)) => [items.clone(), vec![item.clone()]].concat(),
                    Some(Value::Null) | None => vec![item.clone()],
                    Some(other) => vec![other.clone(), item.clone()],
                };
                map.insert(k.clone(), Value::Array(list));
            }
        }
    }
    map
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_edits_of_real_front_matter_keep_untouched_lines(
        pick in any::<prop::sample::Index>(),
        picks in edits(),
    ) {
        let sample = pick.get(samples());
        let original = front_matter_of(&sample.text).expect("parses");
        let keys: Vec<&String> = original.keys().collect();
        let edits: Vec<Edit> = picks
            .iter()
            .map(|(key, op)| {
                let key = match key {
                    KeyPick::Existing(i) if !keys.is_empty() => keys[i % keys.len()].clone(),
                    KeyPick::Existing(_) => "fresh".to_string(),
                    KeyPick::New(k) => k.to_string(),
                };
                match op {
                    Op::Set(v) => Edit::Set(key, v.clone()),
                    Op::Remove => Edit::Remove(key),
                    Op::Append(v) => Edit::Append(key, v.clone()),
                }
            })
            .collect();
        let out = match edit_file(&sample.text, &edits, None) {
            Ok(out) => out,
            // Refused only where YAML anchors tie keys together.
            Err(EditError::Entangled(_)) if sample.text.contains('&') => return Ok(()),
            Err(err) => panic!("{}: {err} for {edits:?}", sample.name),
        };
        // 1. It reads back as exactly the requested front matter, in order.
        let reread = front_matter_of(&out).expect("the result parses");
        let wanted = expected(original, &edits);
        prop_assert_eq!(&reread, &wanted, "{}", sample.name);
        prop_assert!(reread.keys().eq(wanted.keys()));

        // 2. Every untouched key's lines are there, byte for byte, in their order.
        let touched: Vec<&str> = edits.iter().map(|e| match e {
            Edit::Set(k, _) | Edit::Remove(k) | Edit::Append(k, _) => k.as_str(),
        }).collect();
        let lines: Vec<&str> = sample.text.split_inclusive('\n').collect();
        let mut starts: Vec<u32> = sample.keys.iter().map(|(_, l)| *l).collect();
        starts.sort();
        let mut from = 0;
        for (key, line) in &sample.keys {
            if touched.contains(&key.as_str()) {
                continue;
            }
            let end = starts.iter().copied().find(|l| l > line).unwrap_or(sample.body_line - 1);
            let block: String = lines[*line as usize - 1..end as usize - 1].concat();
            let found = out[from..].find(&block);
            prop_assert!(found.is_some(), "{}: `{}` lost or moved:\n{}", sample.name, key, out);
            from += found.unwrap_or(0) + block.len();
        }

        // 3. The body is untouched.
        let body = |text: &str| text.split_inclusive('\n').skip(sample.body_line as usize - 1).collect::<String>();
        let new_body_line = out.split_inclusive('\n').position(|l| l.trim_end() == "---" || l.trim_end() == "...")
            .and_then(|first| out.split_inclusive('\n').skip(first + 1).position(|l| l.trim_end() == "---" || l.trim_end() == "...").map(|second| first + second + 2));
        let new_body: String = out.split_inclusive('\n').skip(new_body_line.unwrap_or(0)).collect();
        prop_assert_eq!(new_body, body(&sample.text), "{}", sample.name);
    }
}
