//! Render limits: what one post's Liquid may cost (loop iterations, nesting, output,
//! values, includes, time), and the per-render budget the bounded tags, the include tag and
//! the filter guard charge as they run.
//!
//! A limit that trips is recorded in the [`Budget`] (the first one wins) and the render
//! fails with an error naming it. The tags that can blame themselves (loops, includes,
//! `assign`, `capture`) pass the error on after noting where they are, so the outermost
//! of them in the post is blamed and recovery leaves exactly that tag or block out.

use liquid_core::model::{KString, ValueView};
use liquid_core::runtime::Runtime;
use liquid_core::Error;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What rendering one post's Liquid may cost. The defaults are generous for real blogs
/// (their loops run over a few hundred items at most) and keep a hostile post to a couple
/// of seconds and tens of megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderLimits {
    /// Loop iterations (`for`, `tablerow`) in one render of a post, all loops together; a
    /// loop is charged its whole length when it starts.
    pub max_iterations: u64,
    /// How deep blocks may nest in a post or an include, counting `elsif` branches, the
    /// `and`/`or` of a condition and `[` indexes, which liquid also handles recursively.
    pub max_depth: usize,
    /// Bytes written while rendering a post: its text, plus what `capture`, `highlight`,
    /// `ifchanged`, includes and tag arguments render (counted again when they are output).
    pub max_output_bytes: usize,
    /// Bytes of one value a filter, `capture` or `assign` makes (strings, plus
    /// [`VALUE_ITEM_BYTES`] per array item or object entry).
    pub max_value_bytes: usize,
    /// Bytes held at once by the variables `assign` and `capture` set and by include
    /// parameters.
    pub max_variable_bytes: usize,
    /// How deep `{% include %}` may nest (an include that includes itself stops here).
    pub max_include_depth: usize,
    /// Includes rendered in one render of a post.
    pub max_includes: usize,
    /// Wall time for all of a post's Liquid, including re-renders after a failing tag.
    pub max_time: Duration,
}

impl Default for RenderLimits {
    fn default() -> Self {
        RenderLimits {
            max_iterations: 100_000,
            max_depth: 100,
            max_output_bytes: 8 << 20,
            max_value_bytes: 8 << 20,
            max_variable_bytes: 64 << 20,
            max_include_depth: 10,
            max_includes: 1_000,
            max_time: Duration::from_secs(2),
        }
    }
}

/// What an array item or object entry counts for in a value's size, beyond its text: the
/// memory liquid spends on it.
pub const VALUE_ITEM_BYTES: usize = 32;

/// `uniq` compares every pair of items: it is refused on arrays longer than this.
pub(super) const MAX_UNIQ_ITEMS: usize = 10_000;

/// `markdownify` is refused on text longer than this (the size of a large post file).
pub(super) const MAX_MARKDOWNIFY_BYTES: usize = 1 << 20;

/// `date` formats may pad a field to at most this many characters (`%10Y`).
pub(super) const MAX_DATE_PADDING: usize = 1_000;

/// Which limit tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Limit {
    Iterations,
    Depth,
    Output,
    Value,
    Variables,
    Includes,
    Time,
}

/// A limit that tripped during one render.
#[derive(Debug, Clone)]
pub(super) struct Trip {
    pub(super) limit: Limit,
    /// Names the limit, for the warning.
    pub(super) message: String,
    /// Byte offset, in the rendered text, of the outermost tag that was running (a loop, an
    /// include, `assign` or `capture`), when there was one in that text.
    pub(super) blame: Option<usize>,
}

/// What one render of a post (one attempt) has spent, against its [`RenderLimits`]. Shared
/// by the tags through liquid's registers ([`budget`]); the deadline is the post's, shared
/// by all its attempts.
#[derive(Debug)]
pub(super) struct Budget {
    pub(super) limits: RenderLimits,
    deadline: Instant,
    /// Addresses of the text being rendered, to tell whether a tag is in it.
    text: Range<usize>,
    iterations: Cell<u64>,
    includes: Cell<usize>,
    output: Cell<usize>,
    /// Bytes held by each variable set by `assign`/`capture`, and held by include
    /// parameters while their include renders.
    variables: RefCell<HashMap<KString, usize>>,
    /// Sum of `variables` and of what include parameters hold.
    held: Cell<usize>,
    trip: RefCell<Option<Trip>>,
}

impl Budget {
    /// A fresh budget for rendering `text`, which must finish by `deadline`.
    pub(super) fn new(limits: RenderLimits, deadline: Instant, text: &str) -> Self {
        let start = text.as_ptr() as usize;
        Budget {
            limits,
            deadline,
            text: start..start + text.len(),
            iterations: Cell::new(0),
            includes: Cell::new(0),
            output: Cell::new(0),
            variables: RefCell::new(HashMap::new()),
            held: Cell::new(0),
            trip: RefCell::new(None),
        }
    }

    /// Records that `limit` tripped (the first trip is kept) and returns the error that
    /// stops the render.
    pub(super) fn trip(&self, limit: Limit, message: String) -> Error {
        let mut trip = self.trip.borrow_mut();
        if trip.is_none() {
            *trip = Some(Trip {
                limit,
                message: message.clone(),
                blame: None,
            });
        }
        Error::with_msg(message)
    }

    /// Whether a limit has tripped.
    pub(super) fn tripped(&self) -> bool {
        self.trip.borrow().is_some()
    }

    /// The limit that tripped, if any.
    pub(super) fn take_trip(&self) -> Option<Trip> {
        self.trip.borrow_mut().take()
    }

    /// Blames the tripped limit on the tag whose first argument is at address `origin`, if
    /// that tag is in the rendered text. Called on the way out, so the outermost wins.
    pub(super) fn blame(&self, origin: usize) {
        if self.text.contains(&origin) {
            if let Some(trip) = self.trip.borrow_mut().as_mut() {
                trip.blame = Some(origin - self.text.start);
            }
        }
    }

    /// Fails once the post's time is up.
    pub(super) fn check_time(&self) -> Result<(), Error> {
        if Instant::now() >= self.deadline {
            let trip = time_is_up(&self.limits);
            return Err(self.trip(trip.limit, trip.message));
        }
        Ok(())
    }

    /// Charges a loop of `count` iterations.
    pub(super) fn charge_iterations(&self, count: u64) -> Result<(), Error> {
        let total = self.iterations.get().saturating_add(count);
        self.iterations.set(total);
        if total > self.limits.max_iterations {
            return Err(self.trip(
                Limit::Iterations,
                format!(
                    "loops run more than {} times (render limit)",
                    self.limits.max_iterations
                ),
            ));
        }
        Ok(())
    }

    /// Charges one include.
    pub(super) fn charge_include(&self) -> Result<(), Error> {
        let total = self.includes.get() + 1;
        self.includes.set(total);
        if total > self.limits.max_includes {
            return Err(self.trip(
                Limit::Includes,
                format!(
                    "more than {} includes (render limit)",
                    self.limits.max_includes
                ),
            ));
        }
        Ok(())
    }

    /// Charges `bytes` of output.
    fn charge_output(&self, bytes: usize) -> Result<(), Error> {
        let total = self.output.get().saturating_add(bytes);
        self.output.set(total);
        if total > self.limits.max_output_bytes {
            return Err(self.trip(
                Limit::Output,
                format!(
                    "output over {} (render limit)",
                    mebibytes(self.limits.max_output_bytes)
                ),
            ));
        }
        Ok(())
    }

    /// Fails when `value` (made by `what`) is over the value size or nesting limit.
    pub(super) fn check_value(&self, value: &dyn ValueView, what: &str) -> Result<usize, Error> {
        let shape = measure(value, self.limits.max_value_bytes, self.limits.max_depth);
        if shape.bytes > self.limits.max_value_bytes {
            return Err(self.value_too_big(what));
        }
        if shape.depth > self.limits.max_depth {
            return Err(self.trip(
                Limit::Depth,
                format!(
                    "{what} made a value nested more than {} deep (render limit)",
                    self.limits.max_depth
                ),
            ));
        }
        Ok(shape.bytes)
    }

    /// The error for a value over the size limit, made by `what`.
    pub(super) fn value_too_big(&self, what: &str) -> Error {
        self.trip(
            Limit::Value,
            format!(
                "{what} made a value over {} (render limit)",
                mebibytes(self.limits.max_value_bytes)
            ),
        )
    }

    /// Notes that variable `name` now holds `bytes`.
    pub(super) fn set_variable(&self, name: &KString, bytes: usize) -> Result<(), Error> {
        let before = self
            .variables
            .borrow_mut()
            .insert(name.clone(), bytes)
            .unwrap_or(0);
        self.held
            .set(self.held.get().saturating_sub(before).saturating_add(bytes));
        self.check_variables()
    }

    /// Holds `bytes` (include parameters) until [`Budget::release`].
    pub(super) fn hold(&self, bytes: usize) -> Result<(), Error> {
        self.held.set(self.held.get().saturating_add(bytes));
        self.check_variables()
    }

    /// Releases bytes taken by [`Budget::hold`].
    pub(super) fn release(&self, bytes: usize) {
        self.held.set(self.held.get().saturating_sub(bytes));
    }

    fn check_variables(&self) -> Result<(), Error> {
        if self.held.get() > self.limits.max_variable_bytes {
            return Err(self.trip(
                Limit::Variables,
                format!(
                    "variables hold more than {} (render limit)",
                    mebibytes(self.limits.max_variable_bytes)
                ),
            ));
        }
        Ok(())
    }
}

/// The trip of a render whose time is up.
pub(super) fn time_is_up(limits: &RenderLimits) -> Trip {
    Trip {
        limit: Limit::Time,
        message: format!(
            "rendering took more than {} (render limit)",
            seconds(limits.max_time)
        ),
        blame: None,
    }
}

/// Where the tags find the render's [`Budget`] (liquid's registers need `Default`).
#[derive(Default)]
pub(super) struct BudgetSlot(pub(super) Option<Rc<Budget>>);

/// The budget of the render `runtime` belongs to (a default one if the render set none).
pub(super) fn budget(runtime: &dyn Runtime) -> Rc<Budget> {
    let mut slot = runtime.registers().get_mut::<BudgetSlot>();
    slot.0
        .get_or_insert_with(|| {
            let limits = RenderLimits::default();
            Rc::new(Budget::new(limits, Instant::now() + limits.max_time, ""))
        })
        .clone()
}

/// Address of a tag's first argument: tags compare it with the rendered text to blame
/// themselves.
pub(super) fn origin_of(argument: &str) -> usize {
    argument.as_ptr() as usize
}

/// A writer that charges what goes through it to the budget: every buffer the Liquid pass
/// renders into is one, so output is bounded wherever it goes.
pub(super) struct Metered<'a> {
    inner: &'a mut dyn Write,
    budget: &'a Budget,
}

impl<'a> Metered<'a> {
    pub(super) fn new(inner: &'a mut dyn Write, budget: &'a Budget) -> Self {
        Metered { inner, budget }
    }
}

impl Write for Metered<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.budget
            .charge_output(buf.len())
            .map_err(|err| io::Error::other(err.to_string()))?;
        self.inner.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Renders `template` into a metered buffer and returns the text.
pub(super) fn render_metered(
    template: &dyn liquid_core::Renderable,
    runtime: &dyn Runtime,
) -> liquid_core::Result<String> {
    let budget = budget(runtime);
    let mut out = Vec::new();
    template.render_to(&mut Metered::new(&mut out, &budget), runtime)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Size and nesting depth of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    /// Text bytes plus [`VALUE_ITEM_BYTES`] per array item or object entry.
    pub(super) bytes: usize,
    /// 0 for a scalar, 1 for an array of scalars, ...
    pub(super) depth: usize,
}

/// The [`Shape`] of `value`, without recursion; counting stops once it is over
/// `max_bytes` or `max_depth` (the result is then over too).
pub(super) fn measure(value: &dyn ValueView, max_bytes: usize, max_depth: usize) -> Shape {
    let mut shape = Shape { bytes: 0, depth: 0 };
    let mut pending: Vec<(&dyn ValueView, usize)> = vec![(value, 0)];
    while let Some((value, depth)) = pending.pop() {
        shape.depth = shape.depth.max(depth);
        if shape.bytes > max_bytes || shape.depth > max_depth {
            break;
        }
        if let Some(array) = value.as_array() {
            for item in array.values() {
                shape.bytes = shape.bytes.saturating_add(VALUE_ITEM_BYTES);
                pending.push((item, depth + 1));
            }
        } else if let Some(object) = value.as_object() {
            for (key, item) in object.iter() {
                shape.bytes = shape.bytes.saturating_add(VALUE_ITEM_BYTES + key.len());
                pending.push((item, depth + 1));
            }
        } else if let Some(scalar) = value.as_scalar() {
            shape.bytes = shape.bytes.saturating_add(scalar.to_kstr().len());
        }
    }
    shape
}

/// `2 s`, `0.5 s`.
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// `8 MiB`, or bytes below one MiB.
fn mebibytes(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::liquid::tests::{engine, page};
    use crate::render::liquid::LiquidOutput;
    use liquid_core::model::Value;

    fn render_with(limits: RenderLimits, body: &str) -> LiquidOutput {
        engine()
            .with_limits(limits)
            .render(body, &page(), "_posts/2025-08-07-hello.md", 5)
    }

    #[test]
    fn when_the_time_is_up_the_tags_are_left_out_and_the_text_kept() {
        let limits = RenderLimits {
            max_time: Duration::ZERO,
            ..RenderLimits::default()
        };
        let out = render_with(
            limits,
            "a {% for i in (1..3) %}x{% endfor %}\n{{ page.title }} b",
        );
        // Tag by tag, without time for any tag: the text between the tags stays.
        assert_eq!(out.text, "a x\n b");
        assert!(
            out.diagnostics.iter().any(|d| d
                .message
                .contains("rendering took more than 0 s (render limit)")),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn variables_over_the_limit_are_left_out_at_their_tag() {
        let limits = RenderLimits {
            max_variable_bytes: 20,
            ..RenderLimits::default()
        };
        let out = render_with(
            limits,
            "{% assign a = page.title %}{% assign b = page.title %}[{{ a }}][{{ b }}]",
        );
        assert_eq!(out.text, "[Hello <World>][]");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let d = &out.diagnostics[0];
        assert!(
            d.message.contains("variables hold more than 20 bytes"),
            "{d:?}"
        );
        assert_eq!((d.line, d.column), (Some(5), Some(28)));
    }

    #[test]
    fn a_loop_over_the_output_limit_goes_and_text_past_it_is_cut() {
        let limits = RenderLimits {
            max_output_bytes: 100,
            ..RenderLimits::default()
        };
        let out = render_with(limits, "a {% for i in (1..50) %}xyz{% endfor %} b");
        assert_eq!(out.text, "a  b");
        assert!(out.diagnostics[0].message.contains("output over 100 bytes"));
        let out = render_with(limits, &format!("{{{{ page.title }}}}{}", "z".repeat(200)));
        assert_eq!(out.text, "Hello <World>");
        assert!(
            out.diagnostics
                .iter()
                .any(|d| d.message.contains("the rest of the post was left out")),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn measure_counts_text_and_items_and_stops_early() {
        let value = Value::array([Value::scalar("abc"), Value::array([Value::scalar(12)])]);
        assert_eq!(
            measure(&value, usize::MAX, usize::MAX),
            Shape {
                bytes: 2 * VALUE_ITEM_BYTES + 3 + VALUE_ITEM_BYTES + 2,
                depth: 2
            }
        );
        let mut deep = Value::scalar("x");
        for _ in 0..1_000 {
            deep = Value::array([deep]);
        }
        assert!(measure(&deep, usize::MAX, 100).depth > 100);
    }

    #[test]
    fn the_first_trip_is_kept_and_blamed_inside_the_text_only() {
        let text = String::from("{% for i in x %}");
        let budget = Budget::new(RenderLimits::default(), Instant::now(), &text);
        budget.trip(Limit::Includes, "first".to_owned());
        budget.trip(Limit::Output, "second".to_owned());
        budget.blame(origin_of("elsewhere"));
        budget.blame(origin_of(&text[7..]));
        let trip = budget.take_trip().expect("tripped");
        assert_eq!(trip.limit, Limit::Includes);
        assert_eq!(trip.blame, Some(7));
    }

    #[test]
    fn metered_writer_stops_at_the_output_limit() {
        let limits = RenderLimits {
            max_output_bytes: 10,
            ..RenderLimits::default()
        };
        let budget = Budget::new(limits, Instant::now() + limits.max_time, "");
        let mut out = Vec::new();
        let mut writer = Metered::new(&mut out, &budget);
        assert!(writer.write_all(b"0123456789").is_ok());
        assert!(writer.write_all(b"x").is_err());
        assert_eq!(out, b"0123456789");
        assert_eq!(budget.take_trip().map(|t| t.limit), Some(Limit::Output));
    }
}
