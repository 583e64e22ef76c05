//! The key picker of one slot (SPEC.md §6): "Use main key" first, then the usable keys of the
//! slot's provider family as "nickname · hint · status", grouped "Your keys" / "Organization keys",
//! and a line saying what it hides. It follows the slot's provider as it changes.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::consumers::{status_word, Picker, PickerKey, Target};

const SELECT: &str = "field";

/// A provider a slot may use, as its picker needs it: the catalog itself stays on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// A provider id, or `custom:<name>`.
    pub id: String,
    /// In the provider menu: "OpenAI", "Custom: acme".
    pub label: String,
    /// In sentences: "OpenAI", "custom endpoint acme".
    pub name: String,
    /// Whose keys serve it.
    pub family: String,
    /// The catalog provider whose hub page lists those keys.
    pub provider: String,
    pub example_model: String,
}

impl Choice {
    pub fn new(target: &Target, label: String) -> Choice {
        Choice {
            id: target.id().to_owned(),
            label,
            name: target.name(),
            family: target.family.clone(),
            provider: target.provider.id.to_owned(),
            example_model: target.provider.example_model().to_owned(),
        }
    }
}

/// Why a chosen key is not offered any more, for its option's label.
fn not_offered(key: Option<&PickerKey>) -> &'static str {
    match key {
        None => "deleted",
        Some(key) if !key.enabled => "disabled",
        Some(key) => status_word(key.status),
    }
}

#[component]
pub fn KeyPicker(
    /// The form field, e.g. `tts_key`.
    name: &'static str,
    /// The slot's provider; `None` when the slot is not used.
    choice: Signal<Option<Choice>>,
    keys: StoredValue<Vec<PickerKey>>,
    /// The provider the saved choice belongs to.
    saved_provider: Option<String>,
    /// The saved choice, and its label as the server gave it.
    chosen: Option<String>,
    chosen_label: Option<String>,
    /// The key chosen in the form now (an id, or empty for "Use main key").
    picked: RwSignal<String>,
    /// Why a save was refused at this field.
    error: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let note_id = format!("{id}-note");
    let described_by = format!("{note_id} {error_id}");
    let picker = move || {
        choice
            .with(|choice| {
                choice
                    .as_ref()
                    .map(|c| keys.with_value(|keys| Picker::new(keys, &c.family)))
            })
            .unwrap_or_default()
    };
    let invalid = error.is_some().to_string();
    // The saved choice stays selectable (and selected) while the slot keeps its provider, even when
    // the picker would no longer offer it, so saving the form does not drop it unnoticed.
    let kept = chosen.clone();
    let kept_choice = move || {
        let chosen = kept.clone()?;
        let provider = choice.with(|choice| choice.as_ref().map(|c| c.id.clone()));
        if saved_provider != provider || picker().offers(&chosen) {
            return None;
        }
        let reason = keys.with_value(|keys| not_offered(keys.iter().find(|k| k.id == chosen)));
        let label = chosen_label
            .clone()
            .unwrap_or_else(|| "The chosen key".to_owned());
        Some((chosen, format!("{label} · {reason} (chosen: not used now)")))
    };
    let selected = {
        let chosen = chosen.clone();
        move |key_id: &str| chosen.as_deref() == Some(key_id)
    };
    let option = move |key: PickerKey| {
        let is_selected = selected(&key.id);
        view! { <option value=key.id.clone() selected=is_selected>{key.label()}</option> }
    };
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">"Key"</label>
            <select id=id name=name disabled=move || choice.with(Option::is_none) class=SELECT
                aria-invalid=invalid aria-describedby=described_by
                on:change=move |ev| picked.set(event_target_value(&ev))>
                <option value="">"Use main key"</option>
                {move || kept_choice().map(|(id, label)| view! { <option value=id selected=true>{label}</option> })}
                {move || {
                    let picker = picker();
                    let yours = (!picker.yours.is_empty()).then(|| view! {
                        <optgroup label="Your keys">{picker.yours.clone().into_iter().map(&option).collect_view()}</optgroup>
                    });
                    let organization = (!picker.organization.is_empty()).then(|| view! {
                        <optgroup label="Organization keys">{picker.organization.clone().into_iter().map(&option).collect_view()}</optgroup>
                    });
                    view! { {yours} {organization} }
                }}
            </select>
            <p id=note_id class="mt-1 text-xs text-slate-500">
                {move || match choice.get() {
                    None => "Choose a provider to use this slot.".to_owned().into_any(),
                    Some(choice) => {
                        let picker = picker();
                        let hidden = picker.hidden_line().map(|line| format!(" {line}.")).unwrap_or_default();
                        if picker.is_empty() {
                            view! {
                                {format!("No usable {} key to choose: \"Use main key\" follows the hub's primary and fallbacks.{hidden} ", choice.name)}
                                <a href=format!("/hub/{}", choice.provider) class="font-medium text-indigo-700 hover:underline">
                                    {format!("Add or fix {} keys in the Provider Hub", choice.name)}
                                </a>
                            }.into_any()
                        } else {
                            format!("\"Use main key\" follows the hub's primary and fallbacks.{hidden}").into_any()
                        }
                    }
                }}
            </p>
            <p id=error_id role="alert" class="mt-1 text-sm text-red-700">{error}</p>
        </div>
    }
}
