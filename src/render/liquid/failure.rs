//! Failures: what a liquid error (or a panic inside liquid) says about where it happened,
//! and the one-line summary used in warnings.

use super::limits::{Limit, Trip};
use crate::text::shorten;
use liquid_core::Error;

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Copy)]
pub(super) enum Stage {
    Parse,
    Render,
    Panic,
    /// A render limit tripped.
    Limit,
}

/// A failed attempt, with what liquid's error says about where it happened.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) stage: Stage,
    /// The whole error text, to tell one failure from another.
    pub(super) detail: String,
    /// One line for the warning.
    pub(super) summary: String,
    /// 1-based line and column (in characters) in the parsed text.
    pub(super) position: Option<(usize, usize)>,
    /// Name of a filter the language does not know.
    pub(super) unknown_filter: Option<String>,
    /// End tag of a block that is never closed.
    pub(super) unclosed: Option<String>,
    /// Name of the filter that failed while rendering.
    pub(super) filter_hint: Option<String>,
    /// The render limit that tripped.
    pub(super) limit: Option<Limit>,
    /// Byte offset in the parsed text of the tag blamed for the limit.
    pub(super) blame: Option<usize>,
}

impl Failure {
    /// Reads liquid's error text: position, pest message and context lines.
    pub(super) fn from_error(stage: Stage, err: &Error) -> Self {
        let detail = err.to_string();
        let mut position = None;
        let mut pest_message = None;
        let mut context: Vec<(String, String)> = Vec::new();
        for line in detail.lines() {
            let trimmed = line.trim();
            let located = trimmed.trim_start_matches("liquid:").trim_start();
            if let Some(at) = located.strip_prefix("--> ") {
                if position.is_none() {
                    let mut numbers = at.split(':').map(|n| n.trim().parse::<usize>());
                    if let (Some(Ok(l)), Some(Ok(c))) = (numbers.next(), numbers.next()) {
                        position = Some((l, c));
                    }
                }
            } else if let Some(message) = trimmed.strip_prefix("= ") {
                pest_message.get_or_insert_with(|| message.trim().to_owned());
            } else if line.starts_with("    ") {
                if let Some((key, value)) = trimmed.split_once('=') {
                    context.push((key.to_owned(), value.to_owned()));
                }
            }
        }
        let context_value = |key: &str| {
            context
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let unknown_filter = context_value("requested filter");
        let filter_hint = context_value("filter").map(|f| {
            f.split(|c: char| c == ':' || c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        let unclosed = pest_message.as_deref().and_then(|m| {
            let rest = m.strip_prefix("Unclosed block. {% ")?;
            Some(rest.split_whitespace().next()?.to_owned())
        });
        let first_line = detail
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("liquid:")
            .trim()
            .to_owned();

        let summary = if let Some(filter) = &unknown_filter {
            format!("unknown filter `{filter}`")
        } else if let (Some("Unknown tag."), Some(tag)) =
            (pest_message.as_deref(), context_value("requested"))
        {
            format!("unknown tag `{tag}`")
        } else if let Some(end_tag) = &unclosed {
            format!("block never closed (no `{{% {end_tag} %}}`)")
        } else if let Some(message) = &pest_message {
            format!("syntax error: {message}")
        } else {
            let details: Vec<String> = context
                .iter()
                .filter(|(k, _)| !k.starts_with("available"))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            if details.is_empty() {
                first_line
            } else {
                format!("{first_line} ({})", details.join(", "))
            }
        };
        Failure {
            stage,
            detail,
            summary: shorten(&summary, 240),
            position,
            unknown_filter,
            unclosed,
            filter_hint,
            limit: None,
            blame: None,
        }
    }

    /// A render limit that tripped.
    pub(super) fn limit(trip: Trip) -> Self {
        Failure {
            stage: Stage::Limit,
            detail: trip.message.clone(),
            summary: trip.message,
            position: None,
            unknown_filter: None,
            unclosed: None,
            filter_hint: None,
            limit: Some(trip.limit),
            blame: trip.blame,
        }
    }

    /// A panic caught inside liquid, from its payload.
    pub(super) fn panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let message = crate::panics::message(&*payload);
        // liquid-lib's panics carry a debug-printed error; its first part says enough.
        let short = message.split(": Error {").next().unwrap_or_default();
        Failure {
            stage: Stage::Panic,
            summary: shorten(&format!("internal liquid error: {short}"), 160),
            detail: message,
            position: None,
            unknown_filter: None,
            unclosed: None,
            filter_hint: None,
            limit: None,
            blame: None,
        }
    }
}

/// The first line of a liquid error, for messages.
pub(super) fn error_summary(err: &Error) -> String {
    Failure::from_error(Stage::Render, err).summary
}
