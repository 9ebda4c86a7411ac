//! Hints on validation errors for the usual first mistake with Relay connections: selecting a
//! post's fields on the list itself (`{ posts { title } }`), where they belong under `nodes`.
//! async-graphql suggests only near spellings (`tittle` → `title`), which does not help here.

use async_graphql::ServerError;

/// Validation errors with their [`hint`]s added. Run by the schema's extension
/// ([`super::extension`]).
pub fn with_hints(errors: Vec<ServerError>) -> Vec<ServerError> {
    errors
        .into_iter()
        .map(|mut error| {
            if let Some(hint) = hint(&error.message) {
                let stop = if error.message.ends_with('.') {
                    ""
                } else {
                    "."
                };
                error.message = format!("{}{stop} {hint}", error.message);
            }
            error
        })
        .collect()
}

/// The hint for a validation message, if it is about a field asked of a connection that
/// belongs to its items, or a connection asked for without a selection.
pub fn hint(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("Unknown field \"") {
        let (field, rest) = rest.split_once('"')?;
        let type_name = rest
            .strip_prefix(" on type \"")?
            .split('"')
            .next()?
            .trim_end_matches('!');
        let item = type_name.strip_suffix("Connection")?;
        return Some(format!(
            "`{type_name}` is a page of results, not a {item}: select `{field}` under `nodes`, writing `{{ nodes {{ {field} }} }}` in place of `{{ {field} }}` (or `{{ edges {{ node {{ {field} }} }} }}`); `totalCount` and `pageInfo` sit beside `nodes`."
        ));
    }
    if message.contains("must have a selection of subfields") && message.contains("Connection") {
        return Some(
            "Select the items under `nodes`, e.g. `posts(first: 10) { nodes { title } }`."
                .to_string(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_field_on_a_connection_points_to_nodes() {
        let hint = hint(r#"Unknown field "title" on type "PostConnection"."#).expect("a hint");
        assert!(hint.contains("{ nodes { title } }"), "{hint}");
        assert!(hint.contains("not a Post"), "{hint}");
    }

    #[test]
    fn other_unknown_fields_get_no_hint() {
        assert_eq!(hint(r#"Unknown field "tittle" on type "Post"."#), None);
        assert_eq!(hint("Unknown operation named \"x\""), None);
    }
}
