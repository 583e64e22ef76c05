//! The few things islands do with the page around them.

use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Event, EventTarget};

/// Calls `handler` on every `event` at `target` for as long as the page lives.
pub fn listen(target: &EventTarget, event: &str, handler: impl FnMut(Event) + 'static) {
    let handler = Closure::<dyn FnMut(Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
    // Owned by the page from now on: islands are never unmounted.
    handler.forget();
}
