//! What a caught panic says ([`message`]), for the places that catch one and go on: the
//! Liquid pass and the GraphQL worker threads.

use std::any::Any;

/// The message of a panic's payload (`panic!` with a literal or a formatted string), or
/// `unknown panic` for any other payload.
pub fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn literal_and_formatted_messages_are_read() {
        let caught = |f: fn()| std::panic::catch_unwind(f).expect_err("panics");
        assert_eq!(super::message(&*caught(|| panic!("boom"))), "boom");
        assert_eq!(super::message(&*caught(|| panic!("{}", 7))), "7");
        assert_eq!(
            super::message(&*caught(|| std::panic::panic_any(3u8))),
            "unknown panic"
        );
    }
}
