//! Bounded versions of liquid's tags that loop, buffer output or keep values — `for`,
//! `tablerow`, `capture`, `ifchanged`, `assign` — and the guard put around every filter.
//! They behave like liquid-lib's (whose code they follow), and charge the render's
//! [`Budget`](super::limits::Budget):
//!
//! * loops are charged their length before they start (a range such as `(1..9999999999)`
//!   is counted, never built) and check the time on every iteration;
//! * `capture` and `ifchanged` render into metered buffers; `capture` and `assign` count the
//!   bytes their variables hold;
//! * filters check the time, refuse inputs whose result would be huge before they run
//!   (`replace`, `join`, `array_to_sentence_string`, `date` paddings, `uniq`,
//!   `markdownify`) and results that are too large or too deep after.
//!
//! Loops, `capture` and `assign` blame a tripped limit on themselves on the way out (see
//! `Budget::blame`).

use super::limits::{
    budget, measure, origin_of, Budget, Limit, Metered, MAX_DATE_PADDING, MAX_MARKDOWNIFY_BYTES,
    MAX_UNIQ_ITEMS,
};
use super::LiquidResult;
use liquid_core::error::{ResultLiquidExt, ResultLiquidReplaceExt};
use liquid_core::model::{KString, ObjectView, Value, ValueCow, ValueView};
use liquid_core::parser::{
    BlockElement, FilterArguments, FilterChain, FilterReflection, TryMatchToken,
};
use liquid_core::runtime::{Interrupt, InterruptRegister, StackFrame};
use liquid_core::{
    BlockReflection, Error, Expression, Filter, Language, ParseBlock, ParseFilter, ParseTag,
    Renderable, Runtime, TagBlock, TagReflection, TagTokenIter, Template,
};
use std::collections::HashMap;
use std::fmt;
use std::io::Write;

/// `{% for item in array_or_range [limit: n] [offset: n] [reversed] %}...{% else %}...{% endfor %}`.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct ForBlock;

impl BlockReflection for ForBlock {
    fn start_tag(&self) -> &str {
        "for"
    }

    fn end_tag(&self) -> &str {
        "endfor"
    }

    fn description(&self) -> &str {
        "Repeats its body for each item of an array or range (bounded)."
    }
}

impl ParseBlock for ForBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let head = parse_loop_head(&mut arguments)?;
        let mut limit = None;
        let mut offset = None;
        let mut reversed = false;
        while let Some(token) = arguments.next() {
            match token.as_str() {
                "limit" => limit = Some(parse_attr(&mut arguments)?),
                "offset" => offset = Some(parse_attr(&mut arguments)?),
                "reversed" => reversed = true,
                _ => {
                    return token
                        .raise_custom_error("\"limit\", \"offset\" or \"reversed\" expected.")
                        .into_err();
                }
            }
        }
        arguments.expect_nothing()?;

        let mut item_template = Vec::new();
        let mut else_template = None;
        while let Some(element) = tokens.next()? {
            match element {
                BlockElement::Tag(mut tag) => match tag.name() {
                    "else" => {
                        tag.tokens().expect_nothing()?;
                        else_template = Some(tokens.parse_all(options)?);
                        break;
                    }
                    _ => item_template.push(tag.parse(&mut tokens, options)?),
                },
                element => item_template.push(element.parse(&mut tokens, options)?),
            }
        }
        tokens.assert_empty();
        Ok(Box::new(For {
            head,
            item_template: Template::new(item_template),
            else_template: else_template.map(Template::new),
            limit,
            offset,
            reversed,
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

/// `item in array_or_range` of a loop tag, and where the tag is.
#[derive(Debug)]
struct LoopHead {
    var_name: KString,
    range: RangeExpression,
    origin: usize,
}

fn parse_loop_head(arguments: &mut TagTokenIter<'_>) -> LiquidResult<LoopHead> {
    let var_name = arguments.expect_next("Identifier expected.")?;
    let origin = origin_of(var_name.as_str());
    let var_name = var_name.expect_identifier().into_result()?;
    arguments
        .expect_next("\"in\" expected.")?
        .expect_str("in")
        .into_result_custom_msg("\"in\" expected.")?;
    let range = arguments.expect_next("Array or range expected.")?;
    let range = match range.expect_value() {
        TryMatchToken::Matches(array) => RangeExpression::Array(array),
        TryMatchToken::Fails(range) => match range.expect_range() {
            TryMatchToken::Matches((start, stop)) => RangeExpression::Counted(start, stop),
            TryMatchToken::Fails(range) => return range.raise_error().into_err(),
        },
    };
    Ok(LoopHead {
        var_name: KString::from_ref(var_name),
        range,
        origin,
    })
}

#[derive(Debug)]
struct For {
    head: LoopHead,
    item_template: Template,
    else_template: Option<Template>,
    limit: Option<Expression>,
    offset: Option<Expression>,
    reversed: bool,
}

impl For {
    fn trace(&self) -> String {
        format!("{{% for {} in {} %}}", self.head.var_name, self.head.range)
    }

    fn render_loop(
        &self,
        writer: &mut dyn Write,
        runtime: &dyn Runtime,
        budget: &Budget,
    ) -> LiquidResult<()> {
        let items =
            Items::evaluate(&self.head.range, runtime).trace_with(|| self.trace().into())?;
        let limit = evaluate_attr(&self.limit, runtime)?;
        let offset = evaluate_attr(&self.offset, runtime)?.unwrap_or(0);
        let window = items.window(offset, limit, self.reversed);
        if window.len == 0 {
            if let Some(template) = &self.else_template {
                template
                    .render_to(writer, runtime)
                    .trace("{{% else %}}")
                    .trace_with(|| self.trace().into())?;
            }
            return Ok(());
        }
        budget.charge_iterations(window.len)?;
        let held = items.held_bytes(budget);
        let result = budget.hold(held).and_then(|()| {
            let parentloop = runtime.try_get(&[liquid_core::model::Scalar::new("forloop")]);
            let parentloop_ref = parentloop.as_ref().map(|v| v.as_view());
            let len = window.len_usize();
            for i in 0..len {
                budget.check_time()?;
                let counted;
                let item = match &items {
                    Items::Listed(values) => values[window.index(i)].as_view(),
                    Items::Counted { start, .. } => {
                        counted = Value::scalar(start.saturating_add(window.index(i) as i64));
                        &counted as &dyn ValueView
                    }
                };
                let forloop = ForloopObject::new(i, len).parentloop(parentloop_ref);
                let mut root = HashMap::<liquid_core::model::KStringRef<'_>, &dyn ValueView>::new();
                root.insert("forloop".into(), &forloop);
                root.insert(self.head.var_name.as_ref(), item);
                let scope = StackFrame::new(runtime, &root);
                self.item_template
                    .render_to(writer, &scope)
                    .trace_with(|| self.trace().into())
                    .context_key("index")
                    .value_with(|| format!("{}", i + 1).into())?;
                let interrupt = scope.registers().get_mut::<InterruptRegister>().reset();
                if let Some(Interrupt::Break) = interrupt {
                    break;
                }
            }
            Ok(())
        });
        budget.release(held);
        result
    }
}

impl Renderable for For {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let budget = budget(runtime);
        let result = self.render_loop(writer, runtime, &budget);
        if result.is_err() {
            budget.blame(self.head.origin);
        }
        result
    }
}

/// `forloop`, as liquid-lib has it.
#[derive(Debug, Clone, liquid_core::model::ValueView, liquid_core::model::ObjectView)]
struct ForloopObject<'p> {
    length: i64,
    parentloop: Option<&'p dyn ValueView>,
    index0: i64,
    index: i64,
    rindex0: i64,
    rindex: i64,
    first: bool,
    last: bool,
}

impl<'p> ForloopObject<'p> {
    fn new(i: usize, len: usize) -> Self {
        let i = i as i64;
        let len = len as i64;
        ForloopObject {
            length: len,
            parentloop: None,
            index0: i,
            index: i + 1,
            rindex0: len - i - 1,
            rindex: len - i,
            first: i == 0,
            last: i == len - 1,
        }
    }

    fn parentloop(mut self, parentloop: Option<&'p dyn ValueView>) -> Self {
        self.parentloop = parentloop;
        self
    }
}

/// `{% tablerow item in array_or_range [cols: n] [limit: n] [offset: n] %}...{% endtablerow %}`.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct TableRowBlock;

impl BlockReflection for TableRowBlock {
    fn start_tag(&self) -> &str {
        "tablerow"
    }

    fn end_tag(&self) -> &str {
        "endtablerow"
    }

    fn description(&self) -> &str {
        "An HTML table row per item of an array or range (bounded)."
    }
}

impl ParseBlock for TableRowBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let head = parse_loop_head(&mut arguments)?;
        let mut cols = None;
        let mut limit = None;
        let mut offset = None;
        while let Some(token) = arguments.next() {
            match token.as_str() {
                "cols" => cols = Some(parse_attr(&mut arguments)?),
                "limit" => limit = Some(parse_attr(&mut arguments)?),
                "offset" => offset = Some(parse_attr(&mut arguments)?),
                _ => {
                    return token
                        .raise_custom_error("\"cols\", \"limit\" or \"offset\" expected.")
                        .into_err();
                }
            }
        }
        arguments.expect_nothing()?;
        let item_template = Template::new(tokens.parse_all(options)?);
        tokens.assert_empty();
        Ok(Box::new(TableRow {
            head,
            item_template,
            cols,
            limit,
            offset,
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct TableRow {
    head: LoopHead,
    item_template: Template,
    cols: Option<Expression>,
    limit: Option<Expression>,
    offset: Option<Expression>,
}

impl TableRow {
    fn trace(&self) -> String {
        format!(
            "{{% tablerow {} in {} %}}",
            self.head.var_name, self.head.range
        )
    }

    fn render_rows(
        &self,
        writer: &mut dyn Write,
        runtime: &dyn Runtime,
        budget: &Budget,
    ) -> LiquidResult<()> {
        let items =
            Items::evaluate(&self.head.range, runtime).trace_with(|| self.trace().into())?;
        let cols = evaluate_attr(&self.cols, runtime)?;
        let limit = evaluate_attr(&self.limit, runtime)?;
        let offset = evaluate_attr(&self.offset, runtime)?.unwrap_or(0);
        let window = items.window(offset, limit, false);
        if window.len == 0 {
            return Ok(());
        }
        budget.charge_iterations(window.len)?;
        let held = items.held_bytes(budget);
        let result = budget.hold(held).and_then(|()| {
            let len = window.len_usize();
            let cols = cols.filter(|&c| c > 0).unwrap_or(len);
            for i in 0..len {
                budget.check_time()?;
                let counted;
                let item = match &items {
                    Items::Listed(values) => values[window.index(i)].as_view(),
                    Items::Counted { start, .. } => {
                        counted = Value::scalar(start.saturating_add(window.index(i) as i64));
                        &counted as &dyn ValueView
                    }
                };
                let col_index = i % cols;
                let row_index = i / cols;
                let tablerow = TableRowObject::new(i, len, col_index, cols);
                let mut root = HashMap::<liquid_core::model::KStringRef<'_>, &dyn ValueView>::new();
                root.insert("tablerow".into(), &tablerow);
                root.insert(self.head.var_name.as_ref(), item);
                if tablerow.col_first {
                    write!(writer, "<tr class=\"row{}\">", row_index + 1)
                        .replace("Failed to render")?;
                }
                write!(writer, "<td class=\"col{}\">", col_index + 1)
                    .replace("Failed to render")?;
                let scope = StackFrame::new(runtime, &root);
                self.item_template
                    .render_to(writer, &scope)
                    .trace_with(|| self.trace().into())
                    .context_key("index")
                    .value_with(|| format!("{}", i + 1).into())?;
                write!(writer, "</td>").replace("Failed to render")?;
                if tablerow.col_last {
                    write!(writer, "</tr>").replace("Failed to render")?;
                }
            }
            Ok(())
        });
        budget.release(held);
        result
    }
}

impl Renderable for TableRow {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let budget = budget(runtime);
        let result = self.render_rows(writer, runtime, &budget);
        if result.is_err() {
            budget.blame(self.head.origin);
        }
        result
    }
}

/// `tablerow`, as liquid-lib has it.
#[derive(Debug, Clone, liquid_core::model::ValueView, liquid_core::model::ObjectView)]
struct TableRowObject {
    length: i64,
    index0: i64,
    index: i64,
    rindex0: i64,
    rindex: i64,
    first: bool,
    last: bool,
    col0: i64,
    col: i64,
    col_first: bool,
    col_last: bool,
}

impl TableRowObject {
    fn new(i: usize, len: usize, col: usize, cols: usize) -> Self {
        let (i, len, col, cols) = (i as i64, len as i64, col as i64, cols as i64);
        let last = i == len - 1;
        TableRowObject {
            length: len,
            index0: i,
            index: i + 1,
            rindex0: len - i - 1,
            rindex: len - i,
            first: i == 0,
            last,
            col0: col,
            col: col + 1,
            col_first: col == 0,
            col_last: col == cols - 1 || last,
        }
    }
}

/// What a loop runs over, as written.
#[derive(Clone, Debug)]
enum RangeExpression {
    Array(Expression),
    Counted(Expression, Expression),
}

impl fmt::Display for RangeExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeExpression::Array(array) => write!(f, "{array}"),
            RangeExpression::Counted(start, end) => write!(f, "({start}..{end})"),
        }
    }
}

/// What a loop runs over, evaluated: the items of an array (or an object's `[key, value]`
/// pairs), or a range of integers, which is counted and never built.
enum Items<'r> {
    Listed(Vec<ValueCow<'r>>),
    Counted { start: i64, len: u64 },
}

/// The part of the items a loop visits (after `offset`, `limit` and `reversed`).
#[derive(Debug, Clone, Copy)]
struct Window {
    first: u64,
    len: u64,
    reversed: bool,
}

impl Window {
    /// The `i`th visited item's index in the items.
    fn index(&self, i: usize) -> usize {
        let i = i as u64;
        let at = if self.reversed {
            self.first + self.len - 1 - i
        } else {
            self.first + i
        };
        at as usize
    }

    /// Only called once the length is charged to the budget, so it fits.
    fn len_usize(&self) -> usize {
        usize::try_from(self.len).unwrap_or(usize::MAX)
    }
}

impl<'r> Items<'r> {
    fn evaluate(range: &'r RangeExpression, runtime: &'r dyn Runtime) -> LiquidResult<Self> {
        match range {
            RangeExpression::Array(array) => {
                let array = array.evaluate(runtime)?;
                Ok(Items::Listed(listed(array)?))
            }
            RangeExpression::Counted(start, stop) => {
                let start = int_argument(start, runtime, "start")?;
                let stop = int_argument(stop, runtime, "end")?;
                let len = (i128::from(stop) - i128::from(start) + 1).max(0);
                Ok(Items::Counted {
                    start,
                    len: u64::try_from(len).unwrap_or(u64::MAX),
                })
            }
        }
    }

    fn len(&self) -> u64 {
        match self {
            Items::Listed(values) => values.len() as u64,
            Items::Counted { len, .. } => *len,
        }
    }

    /// The visited part: skip `offset`, then at most `limit` items.
    fn window(&self, offset: usize, limit: Option<usize>, reversed: bool) -> Window {
        let len = self.len();
        let first = (offset as u64).min(len);
        let rest = len - first;
        let len = limit.map_or(rest, |l| (l as u64).min(rest));
        Window {
            first,
            len,
            reversed,
        }
    }

    /// Bytes of the `[key, value]` pairs copied out of an object (arrays are borrowed).
    fn held_bytes(&self, budget: &Budget) -> usize {
        match self {
            Items::Listed(values) => values
                .iter()
                .filter(|v| matches!(v, ValueCow::Owned(_)))
                .map(|v| {
                    measure(
                        v.as_view(),
                        budget.limits.max_variable_bytes,
                        budget.limits.max_depth,
                    )
                    .bytes
                })
                .fold(0usize, usize::saturating_add),
            Items::Counted { .. } => 0,
        }
    }
}

/// The items of an array, or an object's `[key, value]` pairs; nothing for nil.
fn listed(array: ValueCow<'_>) -> LiquidResult<Vec<ValueCow<'_>>> {
    match array {
        ValueCow::Borrowed(view) => listed_view(view),
        ValueCow::Owned(value) => Ok(listed_view(&value)?
            .into_iter()
            .map(|v| ValueCow::Owned(v.into_owned()))
            .collect()),
    }
}

fn listed_view(array: &dyn ValueView) -> LiquidResult<Vec<ValueCow<'_>>> {
    if let Some(x) = array.as_array() {
        Ok(x.values().map(ValueCow::Borrowed).collect())
    } else if let Some(x) = array.as_object() {
        Ok(x.iter()
            .map(|(k, v)| {
                let pair = vec![Value::scalar(k.into_owned()), v.to_value()];
                ValueCow::Owned(Value::Array(pair))
            })
            .collect())
    } else if array.is_state() || array.is_nil() {
        Ok(Vec::new())
    } else {
        Err(unexpected_value_error("array", Some(array.type_name())))
    }
}

/// `: value` after `limit`, `offset` or `cols`.
fn parse_attr(arguments: &mut TagTokenIter<'_>) -> LiquidResult<Expression> {
    arguments
        .expect_next("\":\" expected.")?
        .expect_str(":")
        .into_result_custom_msg("\":\" expected.")?;
    arguments
        .expect_next("Value expected.")?
        .expect_value()
        .into_result()
}

/// A whole-number attribute; a negative number counts as the largest one, as in liquid-lib
/// (so `limit: -1` is no limit and `offset: -1` skips everything).
fn evaluate_attr(attr: &Option<Expression>, runtime: &dyn Runtime) -> LiquidResult<Option<usize>> {
    let Some(attr) = attr else {
        return Ok(None);
    };
    let value = attr.evaluate(runtime)?;
    let number = value
        .as_scalar()
        .and_then(|s| s.to_integer())
        .ok_or_else(|| unexpected_value_error("whole number", Some(value.type_name())))?;
    Ok(Some(usize::try_from(number).unwrap_or(usize::MAX)))
}

fn int_argument(arg: &Expression, runtime: &dyn Runtime, arg_name: &str) -> LiquidResult<i64> {
    let value = arg.evaluate(runtime)?;
    value
        .as_scalar()
        .and_then(|v| v.to_integer())
        .ok_or_else(|| unexpected_value_error("whole number", Some(value.type_name())))
        .context_key_with(|| arg_name.to_owned().into())
        .value_with(|| value.to_kstr().into_owned())
}

fn unexpected_value_error(expected: &str, actual: Option<&str>) -> Error {
    Error::with_msg(format!(
        "Expected {expected}, found `{}`",
        actual.unwrap_or("nothing")
    ))
}

/// `{% capture name %}...{% endcapture %}`, rendered into a metered buffer.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct CaptureBlock;

impl BlockReflection for CaptureBlock {
    fn start_tag(&self) -> &str {
        "capture"
    }

    fn end_tag(&self) -> &str {
        "endcapture"
    }

    fn description(&self) -> &str {
        "Renders its body into a variable (bounded)."
    }
}

impl ParseBlock for CaptureBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let id = arguments.expect_next("Identifier expected")?;
        let origin = origin_of(id.as_str());
        let id = KString::from_ref(id.expect_identifier().into_result()?);
        arguments.expect_nothing()?;
        let template = Template::new(
            tokens
                .parse_all(options)
                .trace_with(|| format!("{{% capture {id} %}}").into())?,
        );
        tokens.assert_empty();
        Ok(Box::new(Capture {
            id,
            template,
            origin,
        }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct Capture {
    id: KString,
    template: Template,
    origin: usize,
}

impl Capture {
    fn capture(&self, runtime: &dyn Runtime, budget: &Budget) -> LiquidResult<()> {
        let mut captured = Vec::new();
        self.template
            .render_to(&mut Metered::new(&mut captured, budget), runtime)
            .trace_with(|| format!("{{% capture {} %}}", self.id).into())?;
        if captured.len() > budget.limits.max_value_bytes {
            return Err(budget.value_too_big("`capture`"));
        }
        budget.set_variable(&self.id, captured.len())?;
        let text = String::from_utf8_lossy(&captured).into_owned();
        runtime.set_global(self.id.clone(), Value::scalar(text));
        Ok(())
    }
}

impl Renderable for Capture {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let budget = budget(runtime);
        let result = self.capture(runtime, &budget);
        if result.is_err() {
            budget.blame(self.origin);
        }
        result
    }
}

/// `{% ifchanged %}...{% endifchanged %}`, rendered into a metered buffer.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct IfChangedBlock;

impl BlockReflection for IfChangedBlock {
    fn start_tag(&self) -> &str {
        "ifchanged"
    }

    fn end_tag(&self) -> &str {
        "endifchanged"
    }

    fn description(&self) -> &str {
        "Outputs its body when it differs from the last time (bounded)."
    }
}

impl ParseBlock for IfChangedBlock {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut tokens: TagBlock<'_, '_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        arguments.expect_nothing()?;
        let body = Template::new(tokens.parse_all(options)?);
        tokens.assert_empty();
        Ok(Box::new(IfChanged { body }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct IfChanged {
    body: Template,
}

/// What the last `ifchanged` block rendered.
#[derive(Default)]
struct LastChanged(Option<String>);

impl Renderable for IfChanged {
    fn render_to(&self, writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let budget = budget(runtime);
        let mut rendered = Vec::new();
        self.body
            .render_to(&mut Metered::new(&mut rendered, &budget), runtime)
            .trace("{% ifchanged %}")?;
        let rendered = String::from_utf8_lossy(&rendered).into_owned();
        let changed = {
            let mut last = runtime.registers().get_mut::<LastChanged>();
            let changed = last.0.as_deref() != Some(rendered.as_str());
            last.0 = Some(rendered.clone());
            changed
        };
        if changed {
            writer
                .write_all(rendered.as_bytes())
                .replace("Failed to render")?;
        }
        Ok(())
    }
}

/// `{% assign name = value | filters %}`, counting the bytes the variable holds.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct AssignTag;

impl TagReflection for AssignTag {
    fn tag(&self) -> &str {
        "assign"
    }

    fn description(&self) -> &str {
        "Sets a variable (bounded)."
    }
}

impl ParseTag for AssignTag {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        options: &Language,
    ) -> LiquidResult<Box<dyn Renderable>> {
        let dst = arguments.expect_next("Identifier expected.")?;
        let origin = origin_of(dst.as_str());
        let dst = KString::from_ref(dst.expect_identifier().into_result()?);
        arguments
            .expect_next("Assignment operator \"=\" expected.")?
            .expect_str("=")
            .into_result_custom_msg("Assignment operator \"=\" expected.")?;
        let src = arguments
            .expect_next("FilterChain expected.")?
            .expect_filter_chain(options)
            .into_result()?;
        arguments.expect_nothing()?;
        Ok(Box::new(Assign { dst, src, origin }))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

#[derive(Debug)]
struct Assign {
    dst: KString,
    src: FilterChain,
    origin: usize,
}

impl Assign {
    fn assign(&self, runtime: &dyn Runtime, budget: &Budget) -> LiquidResult<()> {
        let value = self
            .src
            .evaluate(runtime)
            .trace_with(|| format!("{{% assign {} = {} %}}", self.dst, self.src).into())?
            .into_owned();
        let bytes = budget.check_value(&value, "`assign`")?;
        budget.set_variable(&self.dst, bytes)?;
        runtime.set_global(self.dst.clone(), value);
        Ok(())
    }
}

impl Renderable for Assign {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> LiquidResult<()> {
        let budget = budget(runtime);
        let result = self.assign(runtime, &budget);
        if result.is_err() {
            budget.blame(self.origin);
        }
        result
    }
}

/// Puts the render limits around a filter (see the module documentation).
#[derive(Clone)]
pub(super) struct GuardedParseFilter(pub(super) Box<dyn ParseFilter>);

impl ParseFilter for GuardedParseFilter {
    fn parse(&self, arguments: FilterArguments<'_>) -> LiquidResult<Box<dyn Filter>> {
        let positional: Vec<Expression> = arguments.positional.collect();
        let keyword: Vec<(&str, Expression)> = arguments.keyword.collect();
        let inner = self.0.parse(FilterArguments {
            positional: Box::new(positional.clone().into_iter()),
            keyword: Box::new(keyword.into_iter()),
        })?;
        let name = self.0.reflection().name().to_owned();
        Ok(Box::new(GuardedFilter {
            what: format!("the `{name}` filter"),
            name,
            inner,
            args: positional,
        }))
    }

    fn reflection(&self) -> &dyn FilterReflection {
        self.0.reflection()
    }
}

#[derive(Debug)]
struct GuardedFilter {
    name: String,
    /// `the `name` filter`, for messages.
    what: String,
    inner: Box<dyn Filter>,
    /// The positional arguments, for the checks made before the filter runs.
    args: Vec<Expression>,
}

impl fmt::Display for GuardedFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Filter for GuardedFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> LiquidResult<Value> {
        let budget = budget(runtime);
        budget.check_time()?;
        self.check_input(input, runtime, &budget)?;
        let output = self.inner.evaluate(input, runtime)?;
        budget.check_value(&output, &self.what)?;
        Ok(output)
    }
}

impl GuardedFilter {
    /// Positional argument `index` as text, when it evaluates.
    fn arg_text(&self, index: usize, runtime: &dyn Runtime) -> Option<String> {
        let value = self.args.get(index)?.evaluate(runtime).ok()?;
        Some(value.to_kstr().to_string())
    }

    /// Refuses inputs whose result would be far larger than the input and arguments, or
    /// take quadratic time, before the filter builds it.
    fn check_input(
        &self,
        input: &dyn ValueView,
        runtime: &dyn Runtime,
        budget: &Budget,
    ) -> LiquidResult<()> {
        let max = budget.limits.max_value_bytes;
        let too_big = |estimate: usize| {
            if estimate > max {
                Err(budget.value_too_big(&self.what))
            } else {
                Ok(())
            }
        };
        match self.name.as_str() {
            "replace" => {
                let text = input.to_kstr();
                let search = self.arg_text(0, runtime).unwrap_or_default();
                let replacement = self.arg_text(1, runtime).unwrap_or_default();
                let matches = if search.is_empty() {
                    text.chars().count() + 1
                } else {
                    text.matches(search.as_str()).count()
                };
                too_big(
                    text.len()
                        .saturating_add(matches.saturating_mul(replacement.len())),
                )
            }
            "join" | "array_to_sentence_string" => {
                let Some(array) = input.as_array() else {
                    return Ok(());
                };
                let separator = if self.name == "join" {
                    self.arg_text(0, runtime).map_or(1, |s| s.len())
                } else {
                    self.arg_text(0, runtime).map_or(3, |s| s.len()) + 2
                };
                let items = usize::try_from(array.size()).unwrap_or(usize::MAX);
                let text = measure(input, max, budget.limits.max_depth).bytes;
                too_big(text.saturating_add(items.saturating_mul(separator)))
            }
            "uniq" => match input.as_array() {
                Some(array) if array.size() > MAX_UNIQ_ITEMS as i64 => Err(budget.trip(
                    Limit::Value,
                    format!(
                        "{} on more than {MAX_UNIQ_ITEMS} items (render limit)",
                        self.what
                    ),
                )),
                _ => Ok(()),
            },
            "markdownify" if input.to_kstr().len() > MAX_MARKDOWNIFY_BYTES => Err(budget.trip(
                Limit::Value,
                format!(
                    "{} on more than {} KiB of text (render limit)",
                    self.what,
                    MAX_MARKDOWNIFY_BYTES >> 10
                ),
            )),
            "date" => match self.arg_text(0, runtime) {
                Some(format) if widest_padding(&format) > MAX_DATE_PADDING => Err(budget.trip(
                    Limit::Value,
                    format!(
                        "{} pads a field to more than {MAX_DATE_PADDING} characters (render limit)",
                        self.what
                    ),
                )),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// The widest padding a strftime format asks for (`%10Y` → 10).
fn widest_padding(format: &str) -> usize {
    let bytes = format.as_bytes();
    let mut widest = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        while i < bytes.len() && matches!(bytes[i], b'-' | b'_' | b'0' | b'^' | b'#' | b':') {
            i += 1;
        }
        let mut width = 0usize;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            width = width
                .saturating_mul(10)
                .saturating_add(usize::from(bytes[i] - b'0'));
            i += 1;
        }
        widest = widest.max(width);
        // The conversion character itself (`%%` included).
        i += 1;
    }
    widest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::liquid::tests::{clean, render};
    use liquid_core::model::Object;

    #[test]
    fn widest_padding_reads_flags_and_widths() {
        assert_eq!(widest_padding("%Y-%m-%d"), 0);
        assert_eq!(widest_padding("%-10d %_3H %%5"), 10);
        assert_eq!(widest_padding("%999999999999999999999999Y"), usize::MAX);
    }

    #[test]
    fn object_and_nil_loops() {
        assert!(listed(ValueCow::Owned(Value::Object(Object::new())))
            .expect("object")
            .is_empty());
        assert!(listed(ValueCow::Owned(Value::Nil)).expect("nil").is_empty());
    }

    #[test]
    fn loops_behave_like_liquid() {
        assert_eq!(
            clean("{% for i in (1..5) limit: 2 offset: 1 %}{{ i }}{{ forloop.index }}{% endfor %}"),
            "2132"
        );
        assert_eq!(
            clean("{% for i in (1..3) reversed %}{{ i }}{% if forloop.last %}.{% endif %}{% endfor %}"),
            "321."
        );
        assert_eq!(
            clean("{% for t in page.tags %}{% for i in (1..2) %}{{ forloop.parentloop.index }}{{ i }} {% endfor %}{% endfor %}"),
            "11 12 21 22 31 32 "
        );
        assert_eq!(
            clean("{% for i in (3..1) %}x{% else %}none{% endfor %}"),
            "none"
        );
        assert_eq!(
            clean("{% for i in (1..9) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
            "12"
        );
        assert_eq!(
            clean(
                "{% for i in (1..4) %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}{% endfor %}"
            ),
            "134"
        );
        assert_eq!(
            clean("{% for t in page.tags limit: -1 %}{{ t }}{% endfor %}"),
            "rustliquidjekyll"
        );
        assert_eq!(
            clean("{% for t in page.tags offset: -1 %}{{ t }}{% endfor %}"),
            ""
        );
        // A limit past the end does not pad with empty items.
        assert_eq!(
            clean("{% for t in page.tags offset: 2 limit: 5 %}[{{ t }}]{% endfor %}"),
            "[jekyll]"
        );
        assert_eq!(
            clean("{% tablerow i in (1..3) cols: 2 %}{{ i }}{% endtablerow %}"),
            "<tr class=\"row1\"><td class=\"col1\">1</td><td class=\"col2\">2</td></tr><tr class=\"row2\"><td class=\"col1\">3</td></tr>"
        );
    }

    #[test]
    fn capture_assign_and_ifchanged_behave_like_liquid() {
        assert_eq!(
            clean("{% capture x %}a{{ page.tags[0] }}{% endcapture %}{% assign y = x | upcase %}{{ x }}{{ y }}"),
            "arustARUST"
        );
        assert_eq!(
            clean("{% for i in (1..4) %}{% ifchanged %}{% if i < 3 %}s{% else %}b{% endif %}{% endifchanged %}{% endfor %}"),
            "sb"
        );
    }

    #[test]
    fn a_huge_range_with_break_is_refused_before_it_runs() {
        let out = render("a {% for i in (1..9999999999) %}{% break %}{% endfor %} b");
        assert_eq!(out.text, "a  b");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let message = &out.diagnostics[0].message;
        assert!(message.contains("more than 100000 times"), "{message}");
        assert!(
            message.contains("{% for i in (1..9999999999) %}"),
            "{message}"
        );
    }

    #[test]
    fn filters_that_would_build_huge_values_are_refused() {
        for body in [
            "{% assign a = 'aaaaaaaaaaaaaaaa' %}{% for i in (1..19) %}{% assign a = a | append: a %}{% endfor %}{% assign b = a | replace: 'a', a %}{{ b | size }}",
            "{% assign s = '' | split: ',' %}{% for i in (1..200) %}{% assign s = s | push: s %}{% endfor %}{{ s | size }}",
            "{{ 'now' | date: '%999999999Y' }}",
        ] {
            let out = render(&format!("x\n{body}\ny"));
            assert!(out.text.starts_with("x\n"), "{body}: {}", out.text);
            assert!(out.text.ends_with("\ny"), "{body}: {}", out.text);
            assert!(
                out.diagnostics
                    .iter()
                    .any(|d| d.message.contains("render limit")),
                "{body}: {:?}",
                out.diagnostics
            );
        }
    }
}
