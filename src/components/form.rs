//! Form parts: labelled inputs with their error beside them, a form-level message, a submit button
//! that shows progress.

use leptos::prelude::*;

use crate::api::error::ApiError;

const INPUT_CLASS: &str = "field";

/// A labelled input; `error` is shown under it and marks it invalid for assistive technology.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    /// What was entered before, when a form sent without JavaScript comes back with an error.
    #[prop(optional)]
    value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                placeholder=placeholder
                value=value
                required=true
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by
                class=INPUT_CLASS
            />
            {hint.map(|hint| view! { <p id=hint_id class="mt-1 text-xs text-slate-500">{hint}</p> })}
            <p id=error_id class="mt-1 text-sm text-red-700" role="alert">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A message about the form as a whole (wrong password, too many attempts, …).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <p role="alert" class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                {move || error.get()}
            </p>
        </Show>
    }
}

const SUBMIT_CLASS: &str = "btn-primary";
const SMALL_SUBMIT_CLASS: &str = "btn-sm inline-flex items-center gap-1.5";

/// A form's submit button. Once pressed it says `busy_label` with a spinner, and its form cannot
/// be sent again until the answer (a new page) arrives: [`FormProgress`] does that for every such
/// button on the page. Plain HTML, so the form works before and without the WASM.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    #[prop(into)] busy_label: String,
    /// The compact look of the buttons in a key's row.
    #[prop(optional)]
    small: Option<bool>,
    /// A fuller name for assistive technology ("Validate 'Main' (sk-...1111)").
    #[prop(optional)]
    aria_label: Option<String>,
) -> impl IntoView {
    let class = if small.unwrap_or_default() {
        SMALL_SUBMIT_CLASS
    } else {
        SUBMIT_CLASS
    };
    view! {
        <button type="submit" class=class aria-label=aria_label data-busy=busy_label>{label}</button>
    }
}

/// The id of the page's polite live region that says what a pressed [`SubmitButton`] is doing.
pub const PROGRESS_ANNOUNCER: &str = "progress-announcer";

/// Progress for every form the page sends: the pressed [`SubmitButton`] shows its busy words (and,
/// by CSS, a spinner), which the page's live region ([`PROGRESS_ANNOUNCER`]) also says, and is
/// disabled, and its form cannot be sent again until the next page arrives. One island on every
/// page, drawing nothing: a page of 25 keys needs no island per button. A form an island handles
/// in place (its submit prevented) is left alone.
#[island]
pub fn FormProgress() -> impl IntoView {
    Effect::new(|| {
        use crate::components::browser::listen;
        listen(&document(), "submit", sending::started);
        // Back on this page from the browser's cache, its forms may be sent again.
        listen(&window(), "pageshow", |_| sending::forget());
    });
}

/// What [`FormProgress`] does in the browser.
mod sending {
    use leptos::prelude::document;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, Event, HtmlFormElement, SubmitEvent};

    /// Marks a form sent with a [`super::SubmitButton`] as being sent, or stops it from being
    /// sent twice. Other forms (a download, which stays on the page) are left alone.
    pub fn started(event: Event) {
        if event.default_prevented() {
            return;
        }
        let Some(form) = event
            .target()
            .and_then(|target| target.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        if form.has_attribute("data-sending") {
            event.prevent_default();
            return;
        }
        let pressed = event
            .dyn_ref::<SubmitEvent>()
            .and_then(SubmitEvent::submitter)
            .map(Element::from)
            .or_else(|| form.query_selector("button[data-busy]").ok().flatten());
        let Some(button) = pressed.filter(|button| button.has_attribute("data-busy")) else {
            return;
        };
        let _ = form.set_attribute("data-sending", "");
        let busy = button.get_attribute("data-busy").unwrap_or_default();
        let _ = button.set_attribute("data-label", &button.text_content().unwrap_or_default());
        button.set_text_content(Some(&busy));
        let _ = button.set_attribute("aria-busy", "true");
        let _ = button.set_attribute("disabled", "");
        announce(&busy);
    }

    /// Says `words` in the page's live region (empty: says nothing).
    fn announce(words: &str) {
        if let Some(region) = document().get_element_by_id(super::PROGRESS_ANNOUNCER) {
            region.set_text_content(Some(words));
        }
    }

    /// Every form on the page may be sent again, its button as it was drawn.
    pub fn forget() {
        for form in all("form[data-sending]") {
            let _ = form.remove_attribute("data-sending");
        }
        for button in all("button[data-label]") {
            button.set_text_content(button.get_attribute("data-label").as_deref());
            let _ = button.remove_attribute("data-label");
            let _ = button.remove_attribute("aria-busy");
            let _ = button.remove_attribute("disabled");
        }
        announce("");
    }

    fn all(selector: &str) -> Vec<Element> {
        let Ok(found) = document().query_selector_all(selector) else {
            return Vec::new();
        };
        (0..found.length())
            .filter_map(|index| found.item(index)?.dyn_into::<Element>().ok())
            .collect()
    }
}

/// The messages of an action's last failure: `errors(field)` for one field, `errors(FORM)` for the
/// form as a whole (anything not about a field).
pub fn action_errors<T>(
    value: Signal<Option<Result<T, ApiError>>>,
) -> impl Fn(&'static str) -> Signal<Option<String>> + Copy + Send + Sync
where
    T: Send + Sync + 'static,
{
    move |field| {
        Signal::derive(move || {
            value.with(|v| match v {
                Some(Err(error)) if field == FORM => error.for_form(),
                Some(Err(error)) => error.for_field(field),
                _ => None,
            })
        })
    }
}

/// What was entered in each field of a form that came back with an error without JavaScript
/// (`entered(field)`); read once, when the form is drawn.
pub fn action_entered<T>(
    value: Signal<Option<Result<T, ApiError>>>,
) -> impl Fn(&str) -> Option<String> + Copy + Send + Sync
where
    T: Send + Sync + 'static,
{
    move |field| {
        value.with_untracked(|v| match v {
            Some(Err(error)) => error.entered(field),
            _ => None,
        })
    }
}

/// The "field" name [`action_errors`] uses for the form as a whole.
pub const FORM: &str = "";
