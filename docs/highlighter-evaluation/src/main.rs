//! Highlighter evaluation for inkgraph issue #20 item 3 (standalone; not part of inkgraph).
//!
//! `hl-eval extract OUT DIR...`: every fenced (``` / ~~~) block of every `.md` under DIRs,
//! written to OUT as records `lang\nbyte-length\ncode`.
//! `hl-eval bench BLOCKS [ROUNDS] [OUTDIR]`: highlights every block with the engine this
//! binary was built with (one cargo feature), one thread; prints JSON with the median and
//! best of ROUNDS timed passes (after one warm-up pass), and writes sample outputs and the
//! stylesheet under OUTDIR/ENGINE/.

mod engines;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("extract") if args.len() >= 4 => extract(&args[2], &args[3..]),
        Some("bench") if args.len() >= 3 => {
            let rounds = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(7);
            bench(&args[2], rounds, args.get(4).map(String::as_str));
        }
        _ => {
            eprintln!("usage: hl-eval extract OUT DIR... | hl-eval bench BLOCKS [ROUNDS] [OUTDIR]");
            std::process::exit(2);
        }
    }
}

fn extract(out: &str, dirs: &[String]) {
    let mut blocks = Vec::new();
    for dir in dirs {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if entry.path().extension().is_none_or(|e| e != "md") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let mut current: Option<(String, String, String)> = None; // (fence, lang, code)
            for line in text.lines() {
                let trimmed = line.trim_start();
                let fence = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f));
                match (&mut current, fence) {
                    (None, Some(f)) => {
                        let info = trimmed.trim_start_matches(f.chars().next().unwrap_or('`'));
                        let lang = info.split_whitespace().next().unwrap_or("").to_owned();
                        current = Some((f.to_owned(), lang, String::new()));
                    }
                    (Some((open, _, _)), Some(f))
                        if f == open
                            && trimmed
                                .trim_end()
                                .trim_matches(f.chars().next().unwrap_or('`'))
                                .is_empty() =>
                    {
                        if let Some((_, lang, code)) = current.take() {
                            blocks.push((lang, code));
                        }
                    }
                    (Some((_, _, code)), _) => {
                        code.push_str(line);
                        code.push('\n');
                    }
                    (None, None) => {}
                }
            }
        }
    }
    let mut text = String::new();
    for (lang, code) in &blocks {
        let _ = write!(text, "{lang}\n{}\n{code}", code.len());
    }
    std::fs::write(out, text).unwrap_or_else(|e| fail(&format!("{out}: {e}")));
    let mut mix: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (lang, code) in &blocks {
        let e = mix.entry(lang.as_str()).or_default();
        e.0 += 1;
        e.1 += code.len();
    }
    let mut mix: Vec<_> = mix.into_iter().collect();
    mix.sort_by_key(|(_, (_, bytes))| std::cmp::Reverse(*bytes));
    let total: usize = blocks.iter().map(|(_, c)| c.len()).sum();
    println!("{} blocks, {} code bytes", blocks.len(), total);
    for (lang, (n, bytes)) in mix {
        println!(
            "{:>14} {:>7} blocks {:>10} bytes {:>5.1}%",
            if lang.is_empty() { "(none)" } else { lang },
            n,
            bytes,
            bytes as f64 * 100.0 / total as f64
        );
    }
}

pub fn load_blocks(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    let mut rest = text.as_str();
    let mut blocks = Vec::new();
    while !rest.is_empty() {
        let record = rest.split_once('\n').and_then(|(lang, tail)| {
            let (len, tail) = tail.split_once('\n')?;
            let len: usize = len.parse().ok()?;
            Some((lang, tail.get(..len)?, tail.get(len..)?))
        });
        let Some((lang, code, tail)) = record else {
            fail(&format!(
                "{path}: not a blocks file (record {})",
                blocks.len() + 1
            ));
        };
        blocks.push((lang.to_owned(), code.to_owned()));
        rest = tail;
    }
    blocks
}

fn bench(path: &str, rounds: usize, outdir: Option<&str>) {
    let blocks = load_blocks(path);
    let code_bytes: usize = blocks.iter().map(|(_, c)| c.len()).sum();
    let started = Instant::now();
    let mut engine = engines::Engine::new();
    let init_ms = started.elapsed().as_secs_f64() * 1e3;
    let name = engines::Engine::NAME;

    // Coverage: which languages get a real grammar.
    let mut langs: std::collections::BTreeMap<&str, usize> = Default::default();
    for (lang, code) in &blocks {
        *langs.entry(lang.as_str()).or_default() += code.len();
    }
    let mut covered = 0;
    let mut missing = Vec::new();
    for (lang, bytes) in &langs {
        if engine.supports(lang) {
            covered += bytes;
        } else {
            missing.push(*lang);
        }
    }

    let run = |engine: &mut engines::Engine| -> (usize, usize) {
        let mut html_bytes = 0;
        let mut failures = 0;
        for (lang, code) in &blocks {
            match engine.highlight(lang, code) {
                Some(html) => html_bytes += html.len(),
                None => failures += 1,
            }
        }
        (html_bytes, failures)
    };
    let warm = Instant::now();
    let (html_bytes, failures) = run(&mut engine);
    let first_ms = warm.elapsed().as_secs_f64() * 1e3;
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        run(&mut engine);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    // One more pass, timed per block, for the per-language split.
    let mut per_lang: std::collections::BTreeMap<&str, (usize, f64)> = Default::default();
    for (lang, code) in &blocks {
        let t = Instant::now();
        let _ = engine.highlight(lang, code);
        let e = per_lang.entry(lang.as_str()).or_default();
        e.0 += code.len();
        e.1 += t.elapsed().as_secs_f64() * 1e3;
    }
    let per_lang: Vec<String> = per_lang
        .iter()
        .filter(|(_, (bytes, _))| *bytes > 10_000)
        .map(|(lang, (bytes, ms))| format!("\"{lang}\":{:.2}", *bytes as f64 / 1e3 / ms))
        .collect();
    let median = times[times.len() / 2];
    let best = times[0];
    let mbs = code_bytes as f64 / 1e6 / (median / 1e3);
    println!(
        "{{\"engine\":\"{name}\",\"blocks\":{},\"code_bytes\":{code_bytes},\"init_ms\":{init_ms:.1},\"first_pass_ms\":{first_ms:.1},\"median_ms\":{median:.1},\"best_ms\":{best:.1},\"mb_per_s\":{mbs:.2},\"html_bytes\":{html_bytes},\"failures\":{failures},\"covered_pct\":{:.1},\"missing\":{:?},\"mb_per_s_by_lang\":{{{}}}}}",
        blocks.len(),
        covered as f64 * 100.0 / code_bytes as f64,
        missing,
        per_lang.join(",")
    );

    if let Some(outdir) = outdir {
        let dir = Path::new(outdir).join(name);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
        write(&dir.join("highlight.css"), &engine.stylesheet());
        // The first block of each language, and the fixtures file if present.
        let mut seen = std::collections::HashSet::new();
        let mut page = String::from(
            "<!doctype html><meta charset=utf-8><link rel=stylesheet href=highlight.css>\n",
        );
        for (lang, code) in &blocks {
            if seen.insert(lang.clone()) {
                let html = engine.highlight(lang, code).unwrap_or_default();
                let file = if lang.is_empty() {
                    "none".to_owned()
                } else {
                    lang.replace(['/', '+'], "_")
                };
                write(&dir.join(format!("{file}.html")), &html);
                let _ = writeln!(
                    page,
                    "<h3>{lang}</h3><pre class=\"{}\"><code>{html}</code></pre>",
                    engine.pre_class()
                );
            }
        }
        write(&dir.join("index.html"), &page);
    }
}

/// Prints `message` and exits with status 1.
fn fail(message: &str) -> ! {
    eprintln!("hl-eval: {message}");
    std::process::exit(1);
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
}

/// `&`, `<`, `>`, `"` escaped, as inkgraph's `text::html::escape`.
pub fn escape_into(out: &mut String, text: &str) {
    if !text.contains(['&', '<', '>', '"']) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}
