//! The Liquid language of the engine: liquid's standard tags, blocks and filters, the
//! filters liquid-lib ships for Jekyll, and Jekyll's own tags and filters.

use super::bounded::{
    AssignTag, CaptureBlock, ForBlock, GuardedParseFilter, IfChangedBlock, TableRowBlock,
};
use super::filters::{self, UrlContext};
use super::include::JekyllIncludeTag;
use super::tags::{HighlightBlock, LinkTag};
use super::SiteLinks;
use liquid_core::parser::ParseBlock;
use liquid_core::{Language, ParseFilter, ParseTag};
use liquid_lib::{jekyll, stdlib};
use std::sync::Arc;

/// The same set `liquid::ParserBuilder::with_stdlib()` registers, plus Jekyll's; the tags
/// that loop, buffer or keep values are the bounded ones of `bounded`, and every filter is
/// guarded.
pub(super) fn jekyll_language(urls: &Arc<UrlContext>, links: &Arc<dyn SiteLinks>) -> Language {
    let mut language = Language::empty();

    let tags: Vec<Box<dyn ParseTag>> = vec![
        Box::new(AssignTag),
        Box::new(stdlib::BreakTag),
        Box::new(stdlib::ContinueTag),
        Box::new(stdlib::CycleTag),
        Box::new(stdlib::IncrementTag),
        Box::new(stdlib::DecrementTag),
        // Jekyll's.
        Box::new(JekyllIncludeTag),
        Box::new(LinkTag::post_url(links.clone())),
        Box::new(LinkTag::link(links.clone())),
    ];
    for tag in tags {
        language
            .tags
            .register(tag.reflection().tag().to_owned(), tag);
    }

    let blocks: Vec<Box<dyn ParseBlock>> = vec![
        Box::new(stdlib::RawBlock),
        Box::new(stdlib::IfBlock),
        Box::new(stdlib::UnlessBlock),
        Box::new(IfChangedBlock),
        Box::new(ForBlock),
        Box::new(TableRowBlock),
        Box::new(stdlib::CommentBlock),
        Box::new(CaptureBlock),
        Box::new(stdlib::CaseBlock),
        // Jekyll's.
        Box::new(HighlightBlock),
    ];
    for block in blocks {
        language
            .blocks
            .register(block.reflection().start_tag().to_owned(), block);
    }

    let stdlib_filters: Vec<Box<dyn ParseFilter>> = vec![
        Box::new(stdlib::Abs),
        Box::new(stdlib::Append),
        Box::new(stdlib::AtLeast),
        Box::new(stdlib::AtMost),
        Box::new(stdlib::Capitalize),
        Box::new(stdlib::Ceil),
        Box::new(stdlib::Compact),
        Box::new(stdlib::Concat),
        Box::new(stdlib::Date),
        Box::new(stdlib::Default),
        Box::new(stdlib::DividedBy),
        Box::new(stdlib::Downcase),
        Box::new(stdlib::Escape),
        Box::new(stdlib::EscapeOnce),
        Box::new(stdlib::First),
        Box::new(stdlib::Floor),
        Box::new(stdlib::Join),
        Box::new(stdlib::Last),
        Box::new(stdlib::Lstrip),
        Box::new(stdlib::Map),
        Box::new(stdlib::Minus),
        Box::new(stdlib::Modulo),
        Box::new(stdlib::NewlineToBr),
        Box::new(stdlib::Plus),
        Box::new(stdlib::Prepend),
        Box::new(stdlib::Remove),
        Box::new(stdlib::RemoveFirst),
        Box::new(stdlib::Replace),
        Box::new(stdlib::ReplaceFirst),
        Box::new(stdlib::Reverse),
        Box::new(stdlib::Round),
        Box::new(stdlib::Rstrip),
        Box::new(stdlib::Size),
        Box::new(stdlib::Slice),
        Box::new(stdlib::SortNatural),
        Box::new(stdlib::Split),
        Box::new(stdlib::Strip),
        Box::new(stdlib::StripHtml),
        Box::new(stdlib::StripNewlines),
        Box::new(stdlib::Times),
        Box::new(stdlib::Truncate),
        Box::new(stdlib::TruncateWords),
        Box::new(stdlib::Uniq),
        Box::new(stdlib::Upcase),
        Box::new(stdlib::UrlDecode),
        Box::new(stdlib::UrlEncode),
        Box::new(stdlib::Where),
        // Jekyll's, from liquid-lib (its `sort` also takes a property, like Jekyll's).
        Box::new(jekyll::Sort),
        Box::new(jekyll::Slugify),
        Box::new(jekyll::Push),
        Box::new(jekyll::Pop),
        Box::new(jekyll::Shift),
        Box::new(jekyll::Unshift),
        Box::new(jekyll::ArrayToSentenceString),
    ];
    for filter in stdlib_filters
        .into_iter()
        .chain(filters::jekyll_filters(urls))
    {
        language.filters.register(
            filter.reflection().name().to_owned(),
            Box::new(GuardedParseFilter(filter)),
        );
    }
    language
}
