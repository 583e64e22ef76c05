//! Rendered HTML of page parts that are pure functions of their data (a provider page's key
//! rows, the hub's cards): a page drawn again with the same data copies each part instead of drawing it again,
//! which is most of a page's rendering time.
//!
//! A part is found by a hash of everything it shows, taken with this process's random hash key:
//! different data never meets the same entry in practice, and nobody can craft data that does.
//! Parts hold what the page shows anyway (masked hints, never a secret).

use std::sync::Arc;

/// Draws the part `draw` makes of `data` (everything the part shows, with a name for the kind
/// of part), or copies it when it was drawn before from the same data.
#[cfg(feature = "ssr")]
pub fn html(data: &impl serde::Serialize, draw: impl FnOnce() -> String) -> Arc<str> {
    use std::collections::HashMap;
    use std::hash::{BuildHasher, Hasher, RandomState};
    use std::sync::{LazyLock, Mutex};

    /// At most this many parts (a few KB each) are kept; when full, all are dropped.
    const MOST: usize = 4096;
    /// The hash key, and the parts by the hash of their data.
    type Drawn = (RandomState, Mutex<HashMap<u64, Arc<str>>>);
    static DRAWN: LazyLock<Drawn> = LazyLock::new(Default::default);

    thread_local! {
        /// The data of the part being looked up, serialized: hashed in one pass, which costs a
        /// fraction of hashing each of serde_json's many small writes.
        static SERIALIZED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    let (hash_key, drawn) = &*DRAWN;
    let id = SERIALIZED.with_borrow_mut(|serialized| {
        serialized.clear();
        serde_json::to_writer(&mut *serialized, data).ok()?;
        let mut hasher = hash_key.build_hasher();
        hasher.write(serialized);
        Some(hasher.finish())
    });
    let Some(id) = id else {
        return draw().into();
    };
    if let Some(part) = drawn.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Arc::clone(part);
    }
    let part: Arc<str> = draw().into();
    let mut drawn = drawn.lock().unwrap_or_else(|e| e.into_inner());
    if drawn.len() >= MOST {
        drawn.clear();
    }
    drawn.insert(id, Arc::clone(&part));
    part
}

/// In the browser nothing is kept: parts are drawn on the server.
#[cfg(not(feature = "ssr"))]
pub fn html(_data: &impl serde::Serialize, draw: impl FnOnce() -> String) -> Arc<str> {
    draw().into()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::html;
    use std::cell::Cell;

    #[test]
    fn a_part_is_drawn_once_for_the_same_data_and_again_when_anything_it_shows_changes() {
        let draws = Cell::new(0);
        let draw = |text: &str| {
            draws.set(draws.get() + 1);
            format!("<p>{text}</p>")
        };
        let data = ("fragments::tests", "key-1", "Main", true);
        assert_eq!(&*html(&data, || draw("Main")), "<p>Main</p>");
        assert_eq!(&*html(&data, || draw("never drawn")), "<p>Main</p>");
        assert_eq!(draws.get(), 1);

        let renamed = ("fragments::tests", "key-1", "Backup", true);
        assert_eq!(&*html(&renamed, || draw("Backup")), "<p>Backup</p>");
        let switched_off = ("fragments::tests", "key-1", "Backup", false);
        assert_eq!(
            &*html(&switched_off, || draw("Backup, off")),
            "<p>Backup, off</p>"
        );
        assert_eq!(draws.get(), 3);
    }
}
