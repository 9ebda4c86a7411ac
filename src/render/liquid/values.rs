//! Values: JSON front matter and site settings as liquid values, and the lenient runtime
//! that makes an undefined variable render as nothing, as in Jekyll.

use super::LiquidResult;
use liquid_core::model::{KString, KStringCow, KStringRef, Object, ScalarCow, Value, ValueCow};
use liquid_core::runtime::{PartialStore, Registers, Runtime};
use std::collections::BTreeSet;

/// Makes an undefined variable render as nothing, as in Jekyll, instead of an error.
pub(super) struct Lax<'a>(pub(super) &'a dyn Runtime);

impl Runtime for Lax<'_> {
    fn partials(&self) -> &dyn PartialStore {
        self.0.partials()
    }

    fn name(&self) -> Option<KStringRef<'_>> {
        self.0.name()
    }

    fn roots(&self) -> BTreeSet<KStringCow<'_>> {
        self.0.roots()
    }

    fn try_get(&self, path: &[ScalarCow<'_>]) -> Option<ValueCow<'_>> {
        self.0.try_get(path)
    }

    fn get(&self, path: &[ScalarCow<'_>]) -> LiquidResult<ValueCow<'_>> {
        Ok(self.0.try_get(path).unwrap_or(ValueCow::Owned(Value::Nil)))
    }

    fn set_global(&self, name: KString, val: Value) -> Option<Value> {
        self.0.set_global(name, val)
    }

    fn set_index(&self, name: KString, val: Value) -> Option<Value> {
        self.0.set_index(name, val)
    }

    fn get_index<'a>(&'a self, name: &str) -> Option<ValueCow<'a>> {
        self.0.get_index(name)
    }

    fn registers(&self) -> &Registers {
        self.0.registers()
    }
}

/// A JSON value as a liquid value (numbers that fit become integers).
fn json_to_liquid(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::scalar(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::scalar(i),
            None => Value::scalar(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::scalar(s.clone()),
        serde_json::Value::Array(items) => Value::array(items.iter().map(json_to_liquid)),
        serde_json::Value::Object(map) => Value::Object(json_map_to_liquid(map)),
    }
}

/// A JSON object (front matter, `_config.yml`) as a liquid object.
pub(super) fn json_map_to_liquid(map: &serde_json::Map<String, serde_json::Value>) -> Object {
    let mut object = Object::new();
    for (key, item) in map {
        object.insert(KString::from_ref(key), json_to_liquid(item));
    }
    object
}

#[cfg(test)]
mod tests {
    use crate::render::liquid::tests::clean;

    #[test]
    fn undefined_variables_render_as_nothing_like_jekyll() {
        assert_eq!(
            clean("[{{ page.nope }}][{{ nope.deeper }}][{{ page.nope | default: \"x\" }}]{% if page.nope %}no{% endif %}"),
            "[][][x]"
        );
    }
}
