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

/// A form's submit button. Once pressed it says `busy_label` with a spinner, and the form cannot
/// be sent again until the answer (a new page) arrives. One of the few islands: the page around
/// it is plain HTML, so the form itself works before and without the WASM.
#[island]
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
    let pending = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move || {
        let Some(form) = button.get().and_then(|button| button.form()) else {
            return;
        };
        crate::components::browser::listen(&form, "submit", move |event| {
            if pending.get_untracked() {
                event.prevent_default();
            } else {
                pending.set(true);
            }
        });
        // Back on this page from the browser's cache, the form may be sent again.
        crate::components::browser::listen(&window(), "pageshow", move |_| pending.set(false));
    });
    let (class, spinner) = if small.unwrap_or_default() {
        (
            SMALL_SUBMIT_CLASS,
            "h-3 w-3 border-slate-300 border-t-slate-700",
        )
    } else {
        (SUBMIT_CLASS, "h-4 w-4 border-white/40 border-t-white")
    };
    view! {
        <button
            node_ref=button
            type="submit"
            class=class
            aria-label=aria_label
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
        >
            <Show when=move || pending.get()>
                <span aria-hidden="true" class=format!("animate-spin rounded-full border-2 {spinner}")></span>
            </Show>
            {move || if pending.get() { busy_label.clone() } else { label.clone() }}
        </button>
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
