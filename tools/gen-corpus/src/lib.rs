//! A deterministic generator of Jekyll-style blog folders, for benchmarks and load tests.
//!
//! [`generate`] writes `_config.yml` and N posts into `blog/_posts/` and `notes/_posts/`. The
//! same seed and post count always give byte-identical files, on every platform: randomness
//! comes from a self-contained SplitMix64 stream and the only floating-point operations are
//! `+ - * /`, which IEEE 754 rounds the same way everywhere.
//!
//! The corpus is shaped like real personal blogs:
//! - file sizes are log-normal around a ~4 KB median with a long tail, clipped to 600 B–100 KB
//!   ([`Profile::Small`], the default), or around a ~15 KB median with a tail to 200 KB and
//!   about twice the share of code ([`Profile::Real`], the size of real blogs' posts);
//! - bodies mix wrapped prose, headings, fenced code (`rust`, `python`, `bash`; `Real` adds
//!   `javascript` and `yaml` and longer blocks), GFM tables,
//!   lists, task lists, block quotes, images and footnotes;
//! - tags come from a pool of 2,000 generated names, drawn Zipf-distributed (a few very common
//!   tags, a long tail of rare ones), 1–6 per post, written as a YAML block list, a flow list
//!   or a space-separated string;
//! - about 40% of posts have a unique serial number such as `2024.BLG.017` in one of three
//!   series (`BLG`, `RVW`, `NTS`), numbered in date order per year and series;
//! - each post links to about three other generated posts through the site permalink
//!   (`/blog/<slug>`, sometimes absolute or with a trailing slash) and to a few external sites;
//! - dates are spread over 2010–2025, never in the future; slugs are unique.

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// Number of posts to write.
    pub posts: usize,
    /// Seed of the random stream: the same seed and post count give the same files.
    pub seed: u64,
    /// Size and code share of the bodies.
    pub profile: Profile,
}

impl GenOptions {
    /// `posts` posts from `seed` with the default profile ([`Profile::Small`]).
    pub fn new(posts: usize, seed: u64) -> GenOptions {
        GenOptions {
            posts,
            seed,
            profile: Profile::Small,
        }
    }
}

/// The shape of the bodies. Front matter, tags, dates and links are the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// Median file about 4 KB, clipped to 600 B–100 KB: the corpus of round one's figures
    /// (byte-identical to it for the same seed and count).
    #[default]
    Small,
    /// Median file about 15 KB, a long tail clipped at 200 KB, about twice the code blocks,
    /// longer blocks and five languages: the size of real blogs' posts (a sample of real
    /// bodies measured about 19 KB a post on average).
    Real,
}

impl Profile {
    /// The profile named `name` (`small` or `real`).
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "small" => Some(Profile::Small),
            "real" => Some(Profile::Real),
            _ => None,
        }
    }

    fn shape(self) -> Shape {
        match self {
            Profile::Small => Shape {
                median_target_bytes: MEDIAN_TARGET_BYTES,
                sigma: SIZE_SIGMA,
                min_target_bytes: MIN_TARGET_BYTES,
                max_target_bytes: MAX_TARGET_BYTES,
                code_weights: (14, 1),
                snippets_per_block: 1,
                languages: &[45, 30, 25],
            },
            Profile::Real => Shape {
                median_target_bytes: 14_000.0,
                sigma: 0.85,
                min_target_bytes: 1_500,
                max_target_bytes: 200_000,
                code_weights: (28, 4),
                snippets_per_block: 3,
                languages: &[35, 25, 15, 15, 10],
            },
        }
    }
}

/// What a [`Profile`] decides.
struct Shape {
    /// Median of the log-normal target size (posts overshoot it by part of a block).
    median_target_bytes: f64,
    /// Standard deviation of the natural log of the target size.
    sigma: f64,
    min_target_bytes: usize,
    max_target_bytes: usize,
    /// Weight of a code block among the blocks, in technical and other posts.
    code_weights: (u32, u32),
    /// A code block joins 1 to this many snippets of one language.
    snippets_per_block: usize,
    /// Weights of `rust`, `python`, `bash` (and `javascript`, `yaml` when five are given).
    languages: &'static [u32],
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSummary {
    /// Number of post files written.
    pub posts: usize,
    /// Total size of every file written (posts and `_config.yml`), in bytes.
    pub bytes: u64,
}

/// Writes a Jekyll site into `out` (created if missing): `_config.yml` plus posts.
///
/// Posts go to `out/blog/_posts/` (about 70%) and `out/notes/_posts/`, named
/// `YYYY-MM-DD-<slug>.md`. `out` must be missing or empty, so that leftovers of an earlier run
/// never mix into the corpus; otherwise the error kind is [`io::ErrorKind::AlreadyExists`].
pub fn generate(options: &GenOptions, out: &Path) -> io::Result<GenSummary> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} is not empty: generate the corpus into a new or empty folder",
                out.display()
            ),
        ));
    }
    for category in CATEGORIES {
        fs::create_dir_all(out.join(category).join("_posts"))?;
    }
    let config = site_config(options);
    fs::write(out.join("_config.yml"), &config)?;

    let tags = tag_pool(&mut Rng::for_item(options.seed, u64::MAX - 1));
    let plans = plan_posts(options, tags.len());
    // Each post has its own random stream, so posts can be written in any order (here: in
    // parallel) and the output stays the same.
    let sizes = plans
        .par_iter()
        .enumerate()
        .map(|(index, plan)| {
            let text = render_post(index, &plans, &tags, options);
            let path = out
                .join(plan.category)
                .join("_posts")
                .join(plan.file_name());
            fs::write(path, &text)?;
            Ok(text.len() as u64)
        })
        .collect::<io::Result<Vec<u64>>>()?;

    Ok(GenSummary {
        posts: plans.len(),
        bytes: config.len() as u64 + sizes.iter().sum::<u64>(),
    })
}

// --- Shape of the corpus ---------------------------------------------------------------------

/// The site's URL, as `_config.yml` writes it.
pub const SITE_URL: &str = "https://bench.example";
/// Folders that hold a `_posts` folder; each is the category of its posts.
const CATEGORIES: [&str; 2] = ["blog", "notes"];
/// Share of posts in `blog` (the rest are in `notes`).
const BLOG_SHARE: f64 = 0.7;
/// Number of distinct tag names posts draw from.
const TAG_POOL_SIZE: usize = 2_000;
/// Relative weights of 1, 2, … 6 tags per post.
const TAGS_PER_POST_WEIGHTS: [u32; 6] = [12, 20, 25, 20, 13, 10];
/// Share of posts with a serial number.
const SERIAL_SHARE: f64 = 0.4;
/// Relative weights of 1, 2, … 5 internal links per post (mean ≈ 3.1).
const INTERNAL_LINK_WEIGHTS: [u32; 5] = [10, 20, 35, 20, 15];
/// Median of the target file size. Posts overshoot their target by part of a block, so the
/// median file is a little larger (≈ 4 KB).
const MEDIAN_TARGET_BYTES: f64 = 3_700.0;
/// Standard deviation of the natural log of the target size.
const SIZE_SIGMA: f64 = 1.0;
/// Target sizes are clipped to this range.
const MIN_TARGET_BYTES: usize = 600;
const MAX_TARGET_BYTES: usize = 100_000;
/// Post dates lie in [`FIRST_DATE`, `LAST_DATE`]: 2010-01-01T00:00:00Z to 2025-12-31T23:59:59Z.
const FIRST_DATE: i64 = 1_262_304_000;
const LAST_DATE: i64 = 1_767_225_599;
/// Column at which prose is wrapped, as hand-written Markdown usually is.
const WRAP_WIDTH: usize = 78;

fn site_config(options: &GenOptions) -> String {
    format!(
        "# Generated by inkgraph gen-corpus: {posts} posts, seed {seed}.\n\
         title: Bench & Ink\n\
         description: >-\n  A generated Jekyll site for benchmarks: prose, code, tables and\n  \
         links shaped like a real personal blog.\n\
         author: Bench Author\n\
         url: \"{SITE_URL}\"\n\
         baseurl: \"\"\n\
         permalink: /:categories/:title\n\
         \n\
         markdown: kramdown\n\
         kramdown:\n  input: GFM\n\
         \n\
         defaults:\n  - scope:\n      path: \"\"\n      type: posts\n    values:\n      layout: post\n",
        posts = options.posts,
        seed = options.seed,
    )
}

// --- Random numbers --------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, fast and fully specified, so a seed gives
/// the same stream on every platform and Rust version.
struct Rng(u64);

impl Rng {
    /// An independent stream for one item (e.g. one post) of a seeded run.
    fn for_item(seed: u64, item: u64) -> Rng {
        let mut mix = Rng(seed ^ item.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng(mix.next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift (bias below 2^-40 here).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`, with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A random word (or snippet) of a non-empty list.
    fn pick(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len())]
    }

    /// An index into `weights`, chosen in proportion to the weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut roll = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }

    /// Approximately standard normal: the Irwin–Hall sum of 12 uniforms, minus 6 (mean 0,
    /// variance 1, range ±6). Good enough for sizes, and needs no `ln` or `cos`.
    fn standard_normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// `e^x` using only `+ - * /`, so the result is bit-identical on every platform (the system
/// `exp` may differ in the last bit, which could change a generated file).
fn exp_portable(x: f64) -> f64 {
    // e^x = (e^(x / 2^k))^(2^k), with |x / 2^k| <= 0.5 where the Taylor series converges fast.
    let mut r = x;
    let mut halvings = 0;
    while r.abs() > 0.5 {
        r /= 2.0;
        halvings += 1;
    }
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 1..=14 {
        term *= r / f64::from(n);
        sum += term;
    }
    for _ in 0..halvings {
        sum *= sum;
    }
    sum
}

/// Zipf's law with exponent 1: samples ranks `0..n` with probability proportional to
/// `1 / (rank + 1)`, so the k-th most popular item is used 1/k as often as the first.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / k as f64;
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let roll = rng.unit() * total;
        self.cumulative
            .partition_point(|c| *c <= roll)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

// --- Planning: everything a post is linked or numbered by ------------------------------------

/// How a post writes its `tags:`.
#[derive(Debug, Clone, Copy)]
enum TagStyle {
    /// `tags:` then `- a` lines; `indent` puts two spaces before each dash.
    Block { indent: bool },
    /// `tags: [a, b]`.
    Flow,
    /// `tags: a b`.
    Words,
}

/// One post's front matter and size, decided before any body is written so that posts can
/// link to each other.
struct PostPlan {
    /// Seconds since the Unix epoch, UTC.
    timestamp: i64,
    category: &'static str,
    title: String,
    slug: String,
    /// Indexes into the tag pool, distinct.
    tags: Vec<usize>,
    tag_style: TagStyle,
    /// Series code until numbering, then the whole serial number.
    series: Option<&'static str>,
    serial_number: Option<String>,
    description: Option<String>,
    image: bool,
    toc: bool,
    /// Code-heavy post (more code blocks and tables).
    techy: bool,
    target_bytes: usize,
}

impl PostPlan {
    fn file_name(&self) -> String {
        format!("{}-{}.md", civil(self.timestamp).date(), self.slug)
    }

    /// Site-relative permalink under `permalink: /:categories/:title`.
    fn permalink(&self) -> String {
        format!("/{}/{}", self.category, self.slug)
    }
}

/// Decides every post's metadata, sorted by date (then slug), with serial numbers assigned in
/// that order.
fn plan_posts(options: &GenOptions, tag_count: usize) -> Vec<PostPlan> {
    let mut rng = Rng::for_item(options.seed, u64::MAX);
    let shape = options.profile.shape();
    let zipf = Zipf::new(tag_count);
    let mut slugs = HashSet::with_capacity(options.posts);
    let mut plans: Vec<PostPlan> = (0..options.posts)
        .map(|_| {
            let timestamp = FIRST_DATE + rng.below((LAST_DATE - FIRST_DATE + 1) as usize) as i64;
            let category = if rng.chance(BLOG_SHARE) {
                "blog"
            } else {
                "notes"
            };
            let title = title(&mut rng);
            let slug = unique_slug(&slugify(&title), &mut slugs);
            let tag_count_wanted = (rng.weighted(&TAGS_PER_POST_WEIGHTS) + 1).min(tag_count);
            let mut tags = Vec::with_capacity(tag_count_wanted);
            while tags.len() < tag_count_wanted {
                let tag = zipf.sample(&mut rng);
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            let tag_style = match rng.below(10) {
                0..=3 => TagStyle::Block {
                    indent: rng.chance(0.5),
                },
                4..=6 => TagStyle::Flow,
                _ => TagStyle::Words,
            };
            let series = rng.chance(SERIAL_SHARE).then(|| match category {
                "notes" => "NTS",
                _ if rng.chance(0.25) => "RVW",
                _ => "BLG",
            });
            let description = rng.chance(0.9).then(|| sentence(&mut rng, false));
            let target =
                shape.median_target_bytes * exp_portable(shape.sigma * rng.standard_normal());
            let target_bytes =
                (target as usize).clamp(shape.min_target_bytes, shape.max_target_bytes);
            PostPlan {
                timestamp,
                category,
                title,
                slug,
                tags,
                tag_style,
                series,
                serial_number: None,
                description,
                image: rng.chance(0.3),
                // Long posts get a table of contents more often, as on real blogs.
                toc: rng.chance(if target_bytes > 8_000 { 0.5 } else { 0.1 }),
                techy: rng.chance(0.6),
                target_bytes,
            }
        })
        .collect();
    plans.sort_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then_with(|| a.slug.cmp(&b.slug))
    });
    let mut next_number: HashMap<(i64, &str), u32> = HashMap::new();
    for plan in &mut plans {
        if let Some(series) = plan.series {
            let year = civil(plan.timestamp).year;
            let number = next_number.entry((year, series)).or_insert(0);
            *number += 1;
            plan.serial_number = Some(format!("{year}.{series}.{number:03}"));
        }
    }
    plans
}

/// `TAG_POOL_SIZE` distinct tag names: every root word first (these become the popular tags,
/// as Zipf ranks follow pool order), then `root-root` pairs.
fn tag_pool(rng: &mut Rng) -> Vec<String> {
    let mut pool: Vec<String> = TAG_ROOTS.iter().map(|r| r.to_string()).collect();
    // Fisher–Yates, so which roots are most popular depends on the seed.
    for i in (1..pool.len()).rev() {
        let j = rng.below(i + 1);
        pool.swap(i, j);
    }
    let mut seen: HashSet<String> = pool.iter().cloned().collect();
    while pool.len() < TAG_POOL_SIZE {
        let a = rng.pick(TAG_ROOTS);
        let b = rng.pick(TAG_ROOTS);
        let name = format!("{a}-{b}");
        if a != b && seen.insert(name.clone()) {
            pool.push(name);
        }
    }
    pool
}

/// A slug not used yet: `base`, else `base-2`, `base-3`, ….
fn unique_slug(base: &str, used: &mut HashSet<String>) -> String {
    let mut slug = base.to_string();
    let mut n = 2;
    while !used.insert(slug.clone()) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    slug
}

/// Lower case; apostrophes dropped; every other run of non-alphanumerics becomes one `-`.
fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars().filter(|c| *c != '\'') {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

// --- Dates -----------------------------------------------------------------------------------

/// A UTC wall-clock time.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
}

impl Civil {
    /// `YYYY-MM-DD`.
    fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `YYYY-MM-DD HH:MM:SS +0000`, as Jekyll writes `date:`.
    fn front_matter(&self) -> String {
        format!(
            "{} {:02}:{:02}:{:02} +0000",
            self.date(),
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// Splits a Unix timestamp into a UTC date and time (Howard Hinnant's `civil_from_days`).
fn civil(timestamp: i64) -> Civil {
    let days = timestamp.div_euclid(86_400);
    let secs = timestamp.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: secs / 3_600,
        minute: secs % 3_600 / 60,
        second: secs % 60,
    }
}

// --- Rendering a post ------------------------------------------------------------------------

/// The whole file of post `index`: front matter, then body.
fn render_post(index: usize, plans: &[PostPlan], tags: &[String], options: &GenOptions) -> String {
    let plan = &plans[index];
    let shape = options.profile.shape();
    let mut rng = Rng::for_item(options.seed, index as u64);
    let mut text = String::with_capacity(plan.target_bytes + 1_024);
    push_front_matter(&mut text, plan, tags);
    let budget = plan.target_bytes.saturating_sub(text.len());
    let body = Body::generate(&mut rng, plan, &shape, budget, index, plans);
    body.render(&mut text);
    text
}

fn push_front_matter(out: &mut String, plan: &PostPlan, tags: &[String]) {
    out.push_str("---\ntitle: ");
    out.push_str(&yaml_scalar(&plan.title));
    out.push_str("\ndate: '");
    out.push_str(&civil(plan.timestamp).front_matter());
    out.push_str("'\n");
    if let Some(serial) = &plan.serial_number {
        out.push_str("serial_number: ");
        out.push_str(serial);
        out.push('\n');
    }
    if let Some(description) = &plan.description {
        out.push_str("description: ");
        out.push_str(&yaml_scalar(description));
        out.push('\n');
    }
    if plan.image {
        out.push_str("image: /assets/img/");
        out.push_str(&plan.slug);
        out.push_str(".png\n");
    }
    if plan.toc {
        out.push_str("toc: true\n");
    }
    let names = plan.tags.iter().map(|t| tags[*t].as_str());
    match plan.tag_style {
        TagStyle::Block { indent } => {
            out.push_str("tags:\n");
            for name in names {
                out.push_str(if indent { "  - " } else { "- " });
                out.push_str(name);
                out.push('\n');
            }
        }
        TagStyle::Flow => {
            out.push_str("tags: [");
            out.push_str(&names.collect::<Vec<_>>().join(", "));
            out.push_str("]\n");
        }
        TagStyle::Words => {
            out.push_str("tags: ");
            out.push_str(&names.collect::<Vec<_>>().join(" "));
            out.push('\n');
        }
    }
    out.push_str("---\n\n");
}

/// A YAML scalar for `text`: plain when that reads back as the same string, else single-quoted.
fn yaml_scalar(text: &str) -> String {
    let plain_safe = text.starts_with(|c: char| c.is_ascii_alphabetic())
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with([':', ' '])
        && text.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain_safe {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A post body as blocks, so links and footnotes can be placed into paragraphs afterwards.
struct Body {
    blocks: Vec<Block>,
    footnotes: Vec<String>,
}

enum Block {
    /// Sentences, wrapped when rendered.
    Paragraph(Vec<String>),
    /// Sentences, wrapped behind `> `.
    Quote(Vec<String>),
    /// Rendered Markdown without its trailing blank line.
    Raw(String),
}

impl Body {
    /// Blocks until about `budget` bytes, then internal links, external links and footnotes
    /// placed into random paragraphs.
    fn generate(
        rng: &mut Rng,
        plan: &PostPlan,
        shape: &Shape,
        budget: usize,
        index: usize,
        plans: &[PostPlan],
    ) -> Body {
        let mut blocks = vec![Block::Paragraph(paragraph(rng))];
        let mut size = block_len(&blocks[0]);
        let mut since_heading = 1;
        let (code_weight, table_weight) = if plan.techy {
            (shape.code_weights.0, 6)
        } else {
            (shape.code_weights.1, 2)
        };
        while size < budget {
            let block = if since_heading >= 3 && rng.chance(0.35) {
                since_heading = 0;
                let level = if plan.toc && rng.chance(0.3) {
                    "###"
                } else {
                    "##"
                };
                Block::Raw(format!("{level} {}", heading(rng)))
            } else {
                since_heading += 1;
                match rng.weighted(&[60, code_weight, 10, table_weight, 4, 2]) {
                    0 => Block::Paragraph(paragraph(rng)),
                    1 => Block::Raw(code_block(rng, shape)),
                    2 => Block::Raw(list(rng)),
                    3 => Block::Raw(table(rng)),
                    4 => Block::Quote(
                        (0..rng.between(1, 3))
                            .map(|_| sentence(rng, true))
                            .collect(),
                    ),
                    _ => Block::Raw(image(rng, &plan.slug)),
                }
            };
            size += block_len(&block);
            blocks.push(block);
        }
        let mut body = Body {
            blocks,
            footnotes: Vec::new(),
        };

        if plans.len() > 1 {
            for _ in 0..=rng.weighted(&INTERNAL_LINK_WEIGHTS) {
                let target = link_target(rng, index, plans.len());
                let sentence = internal_link_sentence(rng, &plans[target]);
                body.insert_sentence(rng, sentence);
            }
        }
        for _ in 0..rng.weighted(&[30, 35, 25, 10]) {
            let sentence = external_link_sentence(rng);
            body.insert_sentence(rng, sentence);
        }
        if rng.chance(0.35) {
            for n in 1..=rng.between(1, 3) {
                body.add_footnote(rng, n);
            }
        }
        body
    }

    fn paragraph_indexes(&self) -> Vec<usize> {
        (0..self.blocks.len())
            .filter(|i| matches!(self.blocks[*i], Block::Paragraph(_)))
            .collect()
    }

    /// Puts `sentence` at a random place in a random paragraph (there is always one).
    fn insert_sentence(&mut self, rng: &mut Rng, sentence: String) {
        let paragraphs = self.paragraph_indexes();
        let chosen = paragraphs[rng.below(paragraphs.len())];
        if let Block::Paragraph(sentences) = &mut self.blocks[chosen] {
            let at = rng.below(sentences.len() + 1);
            sentences.insert(at, sentence);
        }
    }

    /// Marks a random sentence with footnote `[^n]` and adds its definition.
    fn add_footnote(&mut self, rng: &mut Rng, n: usize) {
        let paragraphs = self.paragraph_indexes();
        let chosen = paragraphs[rng.below(paragraphs.len())];
        if let Block::Paragraph(sentences) = &mut self.blocks[chosen] {
            let at = rng.below(sentences.len());
            sentences[at].push_str(&format!("[^{n}]"));
        }
        self.footnotes
            .push(format!("[^{n}]: {}", sentence(rng, true)));
    }

    fn render(&self, out: &mut String) {
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match block {
                Block::Paragraph(sentences) => push_wrapped(out, &sentences.join(" "), ""),
                Block::Quote(sentences) => push_wrapped(out, &sentences.join(" "), "> "),
                Block::Raw(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
            }
        }
        if !self.footnotes.is_empty() {
            out.push('\n');
            for footnote in &self.footnotes {
                out.push_str(footnote);
                out.push('\n');
            }
        }
    }
}

/// Rendered size of a block, near enough for budgeting.
fn block_len(block: &Block) -> usize {
    match block {
        Block::Paragraph(s) | Block::Quote(s) => s.iter().map(|s| s.len() + 3).sum::<usize>() + 1,
        Block::Raw(text) => text.len() + 2,
    }
}

/// Greedy word wrap at [`WRAP_WIDTH`], each line starting with `prefix`.
fn push_wrapped(out: &mut String, text: &str, prefix: &str) {
    let mut line_len = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if line_len > 0 && line_len + 1 + word.len() > WRAP_WIDTH {
            out.push('\n');
            line_len = 0;
        }
        if line_len == 0 {
            out.push_str(prefix);
            line_len = prefix.len();
        } else {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out.push('\n');
}

/// Another post to link to: usually an older one, as real posts link back.
fn link_target(rng: &mut Rng, index: usize, count: usize) -> usize {
    if index > 0 && rng.chance(0.75) {
        rng.below(index)
    } else {
        let other = rng.below(count - 1);
        if other >= index {
            other + 1
        } else {
            other
        }
    }
}

fn internal_link_sentence(rng: &mut Rng, target: &PostPlan) -> String {
    let path = target.permalink();
    let url = match rng.below(10) {
        0 | 1 => format!("{SITE_URL}{path}"),
        2 => format!("{path}/"),
        _ => path,
    };
    let title = &target.title;
    match rng.below(5) {
        0 => format!("I wrote about this before in [{title}]({url})."),
        1 => format!(
            "See [{}]({url}) for the longer version.",
            title.to_lowercase()
        ),
        2 => format!("This picks up where [the earlier post]({url}) left off."),
        3 => format!("(More on that in [{title}]({url}).)"),
        _ => format!(
            "It is the same {} as in [this post]({url}).",
            rng.pick(NOUNS)
        ),
    }
}

fn external_link_sentence(rng: &mut Rng) -> String {
    let noun = rng.pick(NOUNS);
    let url = match rng.below(5) {
        0 => format!("https://en.wikipedia.org/wiki/{}", capitalize(noun)),
        1 => format!("https://doc.rust-lang.org/std/{}/", rng.pick(RUST_MODULES)),
        2 => format!(
            "https://docs.python.org/3/library/{}.html",
            rng.pick(PYTHON_MODULES)
        ),
        3 => format!("https://github.com/{}/{noun}", rng.pick(ADJECTIVES)),
        _ => format!("https://example.com/{}/{noun}", rng.pick(NOUNS)),
    };
    match rng.below(3) {
        0 => format!("The [page on {noun}s]({url}) explains it better than I can."),
        1 => format!("There is a good write-up at <{url}>."),
        _ => format!("I keep [this reference]({url}) open in a tab."),
    }
}

// --- Prose -----------------------------------------------------------------------------------

/// Two to six sentences.
fn paragraph(rng: &mut Rng) -> Vec<String> {
    (0..rng.between(2, 6))
        .map(|_| sentence(rng, true))
        .collect()
}

/// One or two clauses, capitalised, with a full stop. `markup` allows emphasis and inline
/// code; without it the sentence is safe as a plain YAML scalar.
fn sentence(rng: &mut Rng, markup: bool) -> String {
    let mut s = clause(rng, markup);
    if rng.chance(0.4) {
        s.push_str(rng.pick(CONNECTORS));
        s.push_str(&clause(rng, markup));
    }
    let mut s = capitalize(&s);
    s.push('.');
    s
}

fn clause(rng: &mut Rng, markup: bool) -> String {
    match rng.below(5) {
        0 => format!(
            "{} {} {}",
            noun_phrase(rng, markup),
            third_person(rng.pick(VERBS)),
            noun_phrase(rng, markup)
        ),
        1 => {
            let adverb = if rng.chance(0.3) {
                format!("{} ", rng.pick(ADVERBS))
            } else {
                String::new()
            };
            format!(
                "{} {adverb}{} {} {} {}",
                rng.pick(SUBJECTS),
                rng.pick(VERBS),
                noun_phrase(rng, markup),
                rng.pick(PREPOSITIONS),
                noun_phrase(rng, markup)
            )
        }
        2 => format!(
            "there is {} {} {}",
            noun_phrase(rng, markup),
            rng.pick(PREPOSITIONS),
            noun_phrase(rng, markup)
        ),
        3 => format!(
            "{} was {} {}",
            noun_phrase(rng, markup),
            rng.pick(ADVERBS),
            rng.pick(ADJECTIVES)
        ),
        _ => format!(
            "{} {} to {} {}",
            rng.pick(SUBJECTS),
            rng.pick(&["want", "need", "try", "like", "hope"]),
            rng.pick(VERBS),
            noun_phrase(rng, markup)
        ),
    }
}

/// `the quiet map`, `an old *index*`, `` my `tile_cache` ``.
fn noun_phrase(rng: &mut Rng, markup: bool) -> String {
    let adjective = rng.chance(0.4).then(|| rng.pick(ADJECTIVES));
    let noun = rng.pick(NOUNS);
    let first = adjective.unwrap_or(noun);
    let determiner = match rng.below(8) {
        0 | 1 => article(first),
        2 => "my",
        3 => "every",
        4 => "that",
        5 => "our",
        _ => "the",
    };
    let noun = match (markup, rng.below(40)) {
        (true, 0) => format!("*{noun}*"),
        (true, 1) => format!("**{noun}**"),
        (true, 2) => format!("`{noun}_{}`", rng.pick(NOUNS)),
        _ => noun.to_string(),
    };
    match adjective {
        Some(adjective) => format!("{determiner} {adjective} {noun}"),
        None => format!("{determiner} {noun}"),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `fix` → `fixes`, `carry` → `carries`, `map` → `maps` (also used for plurals).
fn third_person(word: &str) -> String {
    if word.ends_with(['s', 'x', 'z']) || word.ends_with("sh") || word.ends_with("ch") {
        format!("{word}es")
    } else if let Some(stem) = word
        .strip_suffix('y')
        .filter(|stem| !stem.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

fn plural(noun: &str) -> String {
    third_person(noun)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Title Case, with short function words in lower case unless first.
fn title_case(text: &str) -> String {
    const SMALL: &[&str] = &["a", "an", "the", "of", "for", "and", "to", "by", "in", "on"];
    text.split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && SMALL.contains(&w) {
                w.to_string()
            } else {
                capitalize(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn title(rng: &mut Rng) -> String {
    let noun = rng.pick(NOUNS);
    let other = rng.pick(NOUNS);
    let adjective = rng.pick(ADJECTIVES);
    let verb = rng.pick(VERBS);
    let text = match rng.below(12) {
        0 => format!("{adjective} {} for {}", noun, plural(other)),
        1 => format!("why I {verb} {} by hand", plural(noun)),
        2 => format!("notes on the {adjective} {noun}"),
        3 => format!("the {noun} is the {other}"),
        4 => format!(
            "{} {adjective} guide to {}",
            article(adjective),
            plural(noun)
        ),
        5 => format!(
            "{noun}: {adjective} {} and {} {}",
            plural(other),
            rng.pick(ADJECTIVES),
            plural(rng.pick(NOUNS))
        ),
        6 => format!("how to {verb} {} {noun}", article(noun)),
        7 => format!(
            "what I learned from {} {adjective} {noun}",
            article(adjective)
        ),
        8 => format!(
            "{}, {} and {}",
            plural(noun),
            plural(other),
            plural(rng.pick(NOUNS))
        ),
        9 => format!("the {noun}'s {adjective} {other}"),
        10 => format!("I'm {} {adjective} about the {noun}", rng.pick(ADVERBS)),
        _ => format!("{} of {}", plural(noun), 2010 + rng.below(16)),
    };
    title_case(&text)
}

fn heading(rng: &mut Rng) -> String {
    let noun = rng.pick(NOUNS);
    let text = match rng.below(8) {
        0 => format!("{} {}", rng.pick(ADJECTIVES), plural(noun)),
        1 => format!("the {noun} problem"),
        2 => format!("a note on {}", plural(noun)),
        3 => format!("why the {noun} matters"),
        4 => format!("{} the {noun}", rng.pick(VERBS)),
        5 => format!("what I would {} next time", rng.pick(VERBS)),
        6 => format!("measuring {}", plural(noun)),
        _ => rng
            .pick(&[
                "setup",
                "results",
                "lessons",
                "open questions",
                "background",
            ])
            .to_string(),
    };
    title_case(&text)
}

// --- Other blocks ----------------------------------------------------------------------------

fn list(rng: &mut Rng) -> String {
    let style = rng.below(4);
    (1..=rng.between(3, 7))
        .map(|n| {
            let item = sentence(rng, true);
            let item = item.trim_end_matches('.');
            match style {
                0 => format!("{n}. {item}"),
                1 => format!("- [{}] {item}", if rng.chance(0.5) { "x" } else { " " }),
                2 => format!("* {item}"),
                _ => format!("- {item}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn table(rng: &mut Rng) -> String {
    let columns = rng.between(3, 5);
    let header: Vec<String> = (0..columns).map(|_| capitalize(rng.pick(NOUNS))).collect();
    // The first column is a label; the others are numbers or words.
    let numeric: Vec<bool> = (0..columns).map(|c| c > 0 && rng.chance(0.5)).collect();
    let mut out = format!("| {} |\n|", header.join(" | "));
    for is_numeric in &numeric {
        out.push_str(if *is_numeric { "---:|" } else { "---|" });
    }
    for _ in 0..rng.between(2, 8) {
        out.push('\n');
        out.push('|');
        for is_numeric in &numeric {
            let cell = if *is_numeric {
                rng.below(10_000).to_string()
            } else if rng.chance(0.5) {
                rng.pick(ADJECTIVES).to_string()
            } else {
                rng.pick(NOUNS).to_string()
            };
            out.push(' ');
            out.push_str(&cell);
            out.push_str(" |");
        }
    }
    out
}

fn image(rng: &mut Rng, slug: &str) -> String {
    let alt = sentence(rng, false);
    format!(
        "![{}](/assets/img/{slug}-{}.png)",
        alt.trim_end_matches('.'),
        rng.below(10)
    )
}

/// A fenced code block from a template with identifiers filled in.
fn code_block(rng: &mut Rng, shape: &Shape) -> String {
    let (language, templates) = match rng.weighted(shape.languages) {
        0 => ("rust", RUST_SNIPPETS),
        1 => ("python", PYTHON_SNIPPETS),
        2 => ("bash", BASH_SNIPPETS),
        3 => ("javascript", JAVASCRIPT_SNIPPETS),
        _ => ("yaml", YAML_SNIPPETS),
    };
    // The small profile draws no count, so its corpus stays byte-identical to round one's.
    let count = match shape.snippets_per_block {
        0 | 1 => 1,
        most => rng.between(1, most),
    };
    let code: Vec<String> = (0..count).map(|_| snippet(rng, templates)).collect();
    format!("```{language}\n{}\n```", code.join("\n\n"))
}

/// One snippet of `templates` with identifiers filled in, without trailing blank lines.
fn snippet(rng: &mut Rng, templates: &[&'static str]) -> String {
    let a = rng.pick(NOUNS);
    let mut b = rng.pick(NOUNS);
    if b == a {
        b = "value";
    }
    let code = rng
        .pick(templates)
        .replace("@@F", &format!("{}_{}", rng.pick(VERBS), rng.pick(NOUNS)))
        .replace(
            "@@T",
            &(capitalize(rng.pick(ADJECTIVES)) + &capitalize(rng.pick(NOUNS))),
        )
        .replace("@@A", a)
        .replace("@@B", b)
        .replace("@@N", &rng.below(1_000).to_string())
        .replace("@@W", rng.pick(NOUNS));
    code.trim_end().to_owned()
}

const RUST_SNIPPETS: &[&str] = &[
    "fn @@F(@@A: &[@@T]) -> usize {\n    @@A.iter().filter(|x| x.@@B > @@N).count()\n}",
    "#[derive(Debug, Clone, PartialEq)]\npub struct @@T {\n    pub @@A: String,\n    pub @@B: u32,\n    pub tags: Vec<String>,\n}\n\nimpl @@T {\n    pub fn new(@@A: impl Into<String>) -> Self {\n        Self { @@A: @@A.into(), @@B: @@N, tags: Vec::new() }\n    }\n}",
    "use std::collections::HashMap;\n\nfn @@F(input: &str) -> HashMap<&str, usize> {\n    let mut @@A = HashMap::new();\n    for word in input.split_whitespace() {\n        *@@A.entry(word).or_insert(0) += 1;\n    }\n    @@A\n}",
    "#[test]\nfn @@F_keeps_the_@@B() {\n    let @@A = @@T::new(\"@@W\");\n    assert_eq!(@@A.@@B, @@N);\n    assert!(@@A.tags.is_empty());\n}",
    "let @@A: Vec<_> = std::fs::read_dir(\"@@W\")?\n    .filter_map(Result::ok)\n    .map(|entry| entry.path())\n    .filter(|path| path.extension().is_some_and(|e| e == \"md\"))\n    .collect();\nprintln!(\"{} files, first {:?}\", @@A.len(), @@A.first());",
    "match @@A.@@F(@@N) {\n    Ok(@@B) if @@B.is_empty() => println!(\"nothing to do\"),\n    Ok(@@B) => {\n        for item in &@@B {\n            println!(\"{item:?}\");\n        }\n    }\n    Err(err) => eprintln!(\"@@W failed: {err}\"),\n}",
];

const PYTHON_SNIPPETS: &[&str] = &[
    "def @@F(@@A, @@B=@@N):\n    \"\"\"Return the @@W entries above the limit.\"\"\"\n    return [x for x in @@A if x > @@B]",
    "import json\nfrom pathlib import Path\n\n\ndef @@F(path):\n    with Path(path).open() as f:\n        @@A = json.load(f)\n    return {k: v for k, v in @@A.items() if v.get(\"@@B\")}",
    "class @@T:\n    def __init__(self, @@A):\n        self.@@A = @@A\n        self.@@B = []\n\n    def add(self, item):\n        self.@@B.append(item)\n        return len(self.@@B)",
    "from collections import Counter\n\n@@A = Counter(line.split()[0] for line in open(\"@@W.log\"))\nfor @@B, count in @@A.most_common(@@N):\n    print(f\"{count:>6} {@@B}\")",
];

const BASH_SNIPPETS: &[&str] = &[
    "#!/usr/bin/env bash\nset -euo pipefail\nfor f in \"${1:-.}\"/*.@@W; do\n  echo \"processing $f\"\n  wc -l \"$f\"\ndone",
    "find . -name '*.md' -newer @@A.txt | xargs grep -l '@@W' | sort | head -n @@N",
    "$ cargo build --release\n$ ./target/release/@@A --input @@B.txt --limit @@N\n$ echo $?\n0",
    "git log --since='@@N days ago' --pretty=format:'%h %s' -- @@A/ | grep -i @@B",
];

const JAVASCRIPT_SNIPPETS: &[&str] = &[
    "export async function @@F(@@A, { limit = @@N } = {}) {\n  const response = await fetch(`/api/@@W?limit=${limit}`);\n  if (!response.ok) {\n    throw new Error(`@@W: ${response.status}`);\n  }\n  const @@B = await response.json();\n  return @@B.filter((item) => item.@@A !== undefined);\n}",
    "const @@A = document.querySelectorAll('.@@W');\n@@A.forEach((el, i) => {\n  el.addEventListener('click', () => {\n    el.classList.toggle('open');\n    console.log('@@B', i, el.dataset.@@B);\n  });\n});",
    "class @@T {\n  #@@A = new Map();\n\n  get(key) {\n    return this.#@@A.get(key) ?? null;\n  }\n\n  set(key, value) {\n    this.#@@A.set(key, value);\n    return this.#@@A.size > @@N;\n  }\n}",
];

const YAML_SNIPPETS: &[&str] = &[
    "name: @@W\non:\n  push:\n    branches: [main]\njobs:\n  @@A:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make @@B\n        env:\n          LIMIT: \"@@N\"",
    "services:\n  @@A:\n    image: @@W:latest\n    ports:\n      - \"@@N:80\"\n    volumes:\n      - ./@@B:/data:ro\n    restart: unless-stopped",
];

// --- Word lists ------------------------------------------------------------------------------
// Lower-case ASCII, no YAML special words (`yes`, `no`, `on`, `null`, …), no Rust or Python
// keywords among the nouns (they become identifiers in code blocks).

#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "map", "index", "parser", "kitchen", "bread", "garden", "server", "cache", "query", "river",
    "notebook", "pencil", "library", "compiler", "bicycle", "window", "table", "thread", "queue",
    "archive", "letter", "engine", "tool", "recipe", "field", "signal", "pattern", "budget",
    "schedule", "lamp", "ladder", "harbour", "bridge", "trail", "camera", "printer", "keyboard",
    "folder", "shelf", "drawer", "workshop", "lesson", "draft", "sketch", "model", "graph", "tree",
    "node", "layer", "tile", "route", "station", "market", "bakery", "winter", "summer", "morning",
    "evening", "habit", "project", "release", "backup", "deadline", "meeting", "review", "chapter",
    "story", "question", "answer", "mistake", "experiment", "kettle", "compass", "atlas", "ferry",
    "tram", "dough", "oven", "ledger", "terminal", "editor", "script", "socket", "buffer", "record",
    "column", "label", "legend", "border",
];

#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "small", "quiet", "old", "new", "slow", "fast", "honest", "careful", "simple", "strange",
    "broken", "patient", "tiny", "heavy", "light", "bright", "useful", "clumsy", "stubborn",
    "generous", "narrow", "wide", "early", "late", "private", "public", "shared", "local", "remote",
    "hidden", "obvious", "gentle", "rough", "clean", "messy", "warm", "cold", "modest", "curious",
    "familiar", "borrowed", "final", "rare", "plain", "steady", "fragile", "reliable", "awkward",
    "elegant", "tidy",
];

#[rustfmt::skip]
const VERBS: &[&str] = &[
    "build", "fix", "draw", "read", "write", "test", "measure", "sort", "index", "bake", "carry",
    "keep", "drop", "rewrite", "ship", "learn", "forget", "name", "count", "trace", "parse",
    "render", "plan", "sketch", "fold", "join", "split", "merge", "check", "clean", "borrow",
    "mend", "replace", "explain", "compare", "repeat", "label", "print", "walk", "open", "save",
    "load", "share", "notice", "ignore", "follow", "simplify", "question", "archive",
];

#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "slowly", "quietly", "again", "eventually", "rarely", "usually", "carefully", "honestly",
    "often", "mostly", "finally", "gladly",
];

#[rustfmt::skip]
const SUBJECTS: &[&str] = &[
    "I", "we", "you", "most people", "the two of us", "my neighbours", "they",
];

#[rustfmt::skip]
const PREPOSITIONS: &[&str] = &[
    "in", "on", "under", "behind", "after", "before", "with", "without", "around", "through", "for",
    "near", "beside",
];

#[rustfmt::skip]
const CONNECTORS: &[&str] = &[
    ", and ", ", but ", ", so ", " because ", " while ", "; ", " until ",
];

#[rustfmt::skip]
const RUST_MODULES: &[&str] = &[
    "collections", "fs", "io", "iter", "sync", "thread", "path", "fmt", "str", "vec",
];

#[rustfmt::skip]
const PYTHON_MODULES: &[&str] = &[
    "pathlib", "json", "collections", "itertools", "functools", "re", "sqlite3", "csv",
];

/// Roots of tag names; pairs of them make up the rest of the pool.
#[rustfmt::skip]
const TAG_ROOTS: &[&str] = &[
    "rust", "python", "bash", "linux", "git", "databases", "postgres", "sqlite", "graphql", "http",
    "caching", "testing", "performance", "profiling", "async", "concurrency", "parsing",
    "compilers", "webassembly", "javascript", "typescript", "css", "html", "markdown", "jekyll",
    "static-sites", "blogging", "writing", "reading", "books", "maps", "cartography", "gis",
    "drawing", "ink", "pencils", "paper", "notebooks", "bread", "baking", "cooking", "kitchen",
    "coffee", "tea", "gardening", "cycling", "walking", "hiking", "travel", "trains", "trams",
    "berlin", "lisbon", "photography", "cameras", "film", "music", "vinyl", "radio", "podcasts",
    "ai", "llm", "machine-learning", "data", "statistics", "visualization", "design", "typography",
    "fonts", "ux", "accessibility", "security", "privacy", "encryption", "networking", "dns",
    "email", "self-hosting", "homelab", "raspberry-pi", "electronics", "keyboards", "tools",
    "workflow", "productivity", "habits", "journaling", "teaching", "learning", "career",
    "open-source", "licensing", "community", "conferences", "talks", "review", "retrospective",
    "year-in-review", "announcements", "release-notes", "history", "archives", "libraries",
    "museums", "architecture", "urbanism", "transit", "weather", "climate", "energy", "repair",
    "woodworking", "sewing", "knitting", "printing", "zines", "comics", "games", "puzzles", "chess",
    "math", "physics", "astronomy", "birds", "trees", "rivers", "islands", "winter", "summer",
    "family", "friends", "health", "sleep", "running", "swimming", "emacs", "vim", "shell",
    "terminal", "docker", "kubernetes", "nix", "ci", "observability", "logging", "metrics",
    "tracing", "benchmarks", "api-design", "rest", "json", "yaml", "toml", "sql",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Every file under `root`, as (relative path, bytes), in path order.
    fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .map(|entry| entry.expect("walk"))
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let rel = entry.path().strip_prefix(root).expect("under root");
                (rel.to_path_buf(), fs::read(entry.path()).expect("read"))
            })
            .collect();
        out.sort();
        out
    }

    fn generated(posts: usize, seed: u64) -> (tempfile::TempDir, GenSummary) {
        let dir = tempfile::tempdir().expect("tempdir");
        let summary = generate(&GenOptions::new(posts, seed), dir.path()).expect("generate");
        (dir, summary)
    }

    fn generated_real(posts: usize, seed: u64) -> (tempfile::TempDir, GenSummary) {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = GenOptions {
            profile: Profile::Real,
            ..GenOptions::new(posts, seed)
        };
        let summary = generate(&options, dir.path()).expect("generate");
        (dir, summary)
    }

    fn post_sizes(root: &Path) -> Vec<usize> {
        let mut sizes: Vec<usize> = files(root)
            .into_iter()
            .filter(|(path, _)| path.extension().is_some_and(|e| e == "md"))
            .map(|(_, bytes)| bytes.len())
            .collect();
        sizes.sort_unstable();
        sizes
    }

    #[test]
    fn real_profile_has_real_sizes_and_more_code() {
        let (dir, _) = generated_real(400, 42);
        let sizes = post_sizes(dir.path());
        assert_eq!(sizes.len(), 400);
        let median = sizes[sizes.len() / 2];
        assert!((12_000..=20_000).contains(&median), "median {median} bytes");
        let largest = sizes[sizes.len() - 1];
        assert!(largest > 60_000 && largest < 215_000, "largest {largest}");
        let text: String = files(dir.path())
            .into_iter()
            .map(|(_, bytes)| String::from_utf8(bytes).expect("utf-8"))
            .collect();
        for needle in ["```javascript\n", "```yaml\n", "```rust\n"] {
            assert!(text.contains(needle), "no {needle:?} in the corpus");
        }
        let (small, _) = generated(400, 42);
        let fences = |root: &Path| -> f64 {
            let (mut fences, mut bytes) = (0usize, 0usize);
            for (_, b) in files(root) {
                fences += String::from_utf8_lossy(&b).matches("\n```\n").count();
                bytes += b.len();
            }
            fences as f64 / bytes as f64
        };
        let (real_share, small_share) = (fences(dir.path()), fences(small.path()));
        assert!(
            real_share > small_share * 1.3,
            "code blocks per byte: real {real_share}, small {small_share}"
        );
    }

    #[test]
    fn same_seed_and_count_give_identical_bytes() {
        let (a, summary_a) = generated(200, 7);
        let (b, summary_b) = generated(200, 7);
        assert_eq!(summary_a, summary_b);
        let (files_a, files_b) = (files(a.path()), files(b.path()));
        assert_eq!(files_a.len(), 201, "200 posts and _config.yml");
        assert!(files_a == files_b, "generated folders differ");
        let total: usize = files_a.iter().map(|(_, bytes)| bytes.len()).sum();
        assert_eq!(summary_a.bytes, total as u64);

        let (c, _) = generated(200, 8);
        assert!(
            files(c.path()) != files_a,
            "another seed gives another corpus"
        );
    }

    #[test]
    fn bodies_have_code_tables_and_footnotes() {
        let (dir, _) = generated(100, 1);
        let text: String = files(dir.path())
            .into_iter()
            .map(|(_, bytes)| String::from_utf8(bytes).expect("utf-8"))
            .collect();
        for needle in [
            "```rust\n",
            "```python\n",
            "```bash\n",
            "|---",
            "[^1]: ",
            "tags:\n- ",
            "tags: [",
            "toc: true\n",
            "image: /assets/img/",
        ] {
            assert!(text.contains(needle), "no {needle:?} in the corpus");
        }
    }

    #[test]
    fn median_file_size_is_about_four_kilobytes() {
        let (dir, _) = generated(300, 42);
        let sizes = post_sizes(dir.path());
        assert_eq!(sizes.len(), 300);
        let median = sizes[sizes.len() / 2];
        assert!((2_000..=8_000).contains(&median), "median {median} bytes");
        let largest = sizes[sizes.len() - 1];
        assert!(largest > 15_000 && largest < 110_000, "largest {largest}");
    }

    #[test]
    fn refuses_a_folder_that_is_not_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("keep.txt"), "x").expect("write");
        let err = generate(&GenOptions::new(1, 1), dir.path()).expect_err("refused");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        // A missing folder is created; zero and one post work.
        for posts in [0, 1] {
            let out = dir.path().join(format!("new-{posts}"));
            let summary = generate(&GenOptions::new(posts, 1), &out).expect("generate");
            assert_eq!(summary.posts, posts);
            let written = files(&out)
                .iter()
                .filter(|(p, _)| p.extension().is_some_and(|e| e == "md"))
                .count();
            assert_eq!(written, posts);
        }
    }

    #[test]
    fn civil_dates_match_chrono() {
        for ts in [
            FIRST_DATE,
            LAST_DATE,
            951_782_400,
            1_709_164_800,
            1_234_567_890,
        ] {
            let c = civil(ts);
            let expected = chrono::DateTime::from_timestamp(ts, 0).expect("in range");
            assert_eq!(
                c.front_matter(),
                expected.format("%Y-%m-%d %H:%M:%S +0000").to_string()
            );
        }
        assert_eq!(civil(FIRST_DATE).date(), "2010-01-01");
        assert_eq!(civil(LAST_DATE).front_matter(), "2025-12-31 23:59:59 +0000");
    }

    #[test]
    fn portable_exp_is_accurate() {
        for x in [-5.4, -1.0, -0.3, 0.0, 0.7, 2.0, 5.4] {
            let (ours, std) = (exp_portable(x), f64::exp(x));
            assert!((ours - std).abs() / std < 1e-12, "{x}: {ours} vs {std}");
        }
    }

    #[test]
    fn tag_pool_is_distinct_and_yaml_safe() {
        let pool = tag_pool(&mut Rng::for_item(3, 0));
        assert_eq!(pool.len(), TAG_POOL_SIZE);
        assert_eq!(pool.iter().collect::<HashSet<_>>().len(), TAG_POOL_SIZE);
        assert!(pool
            .iter()
            .all(|t| t.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    }

    #[test]
    fn yaml_scalars_read_back() {
        for text in [
            "Plain Title",
            "Maps: A Guide",
            "The Map's Edge",
            "I'm Here",
            "x #y",
        ] {
            let yaml = format!("k: {}\n", yaml_scalar(text));
            let map: serde_yaml::Value = serde_yaml::from_str(&yaml).expect("valid YAML");
            assert_eq!(map["k"].as_str(), Some(text), "{yaml}");
        }
    }
}
