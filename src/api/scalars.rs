//! The custom scalars, documented with `@specifiedBy` so code generators can map them.

use async_graphql::{InputValueResult, Scalar, ScalarType, Value};

/// The description of `DateTime` (async-graphql's reads "Implement the DateTime<FixedOffset>
/// scalar").
pub const DATE_TIME_DESCRIPTION: &str = "A date and time with its UTC offset, as an RFC 3339 string: `2024-05-01T09:30:00+02:00` (answers keep the offset the post was written with; inputs need one, `Z` for UTC).";

/// Any JSON value (RFC 8259): an object, array, string, number, boolean or null, as it is;
/// `Post.frontMatter` is an object.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonValue(pub serde_json::Value);

/// Any JSON value (RFC 8259): an object, array, string, number, boolean or null, sent as
/// JSON itself (not as a string holding JSON).
#[Scalar(
    name = "JSON",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259"
)]
impl ScalarType for JsonValue {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(JsonValue(value.into_json()?))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}
