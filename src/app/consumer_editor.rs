//! The live parts of an expert's or assistant's editor, two islands: the slots, whose key pickers
//! follow their provider as it changes, and "Which key will be used?", which resolves the form's
//! choices before they are saved. Everything they need comes in their props; the catalog stays on
//! the server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::consumers::{consumer_preview, Explained};
use crate::components::browser::listen;
use crate::components::key_picker::{Choice, KeyPicker};
use crate::domain::consumers::{ConsumerKind, PickerKey, Slot};

const INPUT: &str = "field";
const LABEL: &str = "field-label";
const ERROR: &str = "field-error";

/// One slot of the form as it starts: saved, or as a refused save or "Show keys" sent it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotForm {
    pub slot: Slot,
    /// The providers it may use.
    pub choices: Vec<Choice>,
    /// Chosen now: a provider id, `custom:<name>`, or empty for "Not used".
    pub provider: String,
    /// The provider the saved key choice belongs to, the saved key and its label.
    pub saved_provider: Option<String>,
    pub chosen: Option<String>,
    pub chosen_label: Option<String>,
    pub model: String,
    pub voice: String,
    /// A refused save's messages at this slot's fields: (field, message).
    pub errors: Vec<(String, String)>,
}

impl SlotForm {
    fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.clone())
    }
}

#[island]
pub fn SlotPickers(
    kind: ConsumerKind,
    slots: Vec<SlotForm>,
    keys: Vec<PickerKey>,
) -> impl IntoView {
    let keys = StoredValue::new(keys);
    slots
        .into_iter()
        .map(|form| slot_fieldset(kind, form, keys))
        .collect_view()
}

fn slot_fieldset(
    kind: ConsumerKind,
    form: SlotForm,
    keys: StoredValue<Vec<PickerKey>>,
) -> impl IntoView {
    let slot = form.slot;
    let provider = RwSignal::new(form.provider.clone());
    let picked = RwSignal::new(form.chosen.clone().unwrap_or_default());
    let choices = StoredValue::new(form.choices.clone());
    let choice = Signal::derive(move || {
        choices.with_value(|choices| choices.iter().find(|c| c.id == provider.get()).cloned())
    });
    let provider_field = slot.field("provider");
    let key_field = slot.field("key");
    let model_field = slot.field("model");
    let voice_field = slot.field("voice");
    let legend_id = format!("slot-{}", slot.as_str());
    let labelled_by = legend_id.clone();
    let message = |field: &str| form.error(field);
    let (provider_error, model_error, voice_error, key_error) = (
        message(provider_field),
        message(model_field),
        message(voice_field),
        message(key_field),
    );
    let options = form.choices.iter().map(|choice| {
        let selected = form.provider == choice.id;
        view! { <option value=choice.id.clone() selected=selected>{choice.label.clone()}</option> }
    });
    view! {
        <fieldset aria-labelledby=labelled_by class="rounded-lg border border-slate-200 p-4">
            <legend id=legend_id class="px-1 text-sm font-semibold text-slate-900">{slot.label()}</legend>
            <div class="grid gap-4 sm:grid-cols-2">
                <div>
                    <label for=format!("field-{provider_field}") class=LABEL>"Provider"</label>
                    <select id=format!("field-{provider_field}") name=provider_field class=INPUT
                        aria-describedby=format!("field-{provider_field}-error")
                        on:change=move |ev| {
                            provider.set(event_target_value(&ev));
                            picked.set(String::new());
                        }>
                        {(!slot.required()).then(|| view! { <option value="" selected=form.provider.is_empty()>"Not used"</option> })}
                        {options.collect_view()}
                    </select>
                    <p id=format!("field-{provider_field}-error") role="alert" class=ERROR>{provider_error}</p>
                </div>
                {matches!(slot, Slot::Chat | Slot::Image).then(|| view! {
                    <div>
                        <label for=format!("field-{model_field}") class=LABEL>
                            {if slot == Slot::Chat && kind == ConsumerKind::Expert { "Model id" } else { "Model id (optional)" }}
                        </label>
                        <input id=format!("field-{model_field}") name=model_field type="text" maxlength="200" value=form.model.clone()
                            placeholder=move || choice.get().map(|c| c.example_model)
                            aria-describedby=format!("field-{model_field}-error") class=INPUT/>
                        <p id=format!("field-{model_field}-error") role="alert" class=ERROR>{model_error}</p>
                    </div>
                })}
                {(slot == Slot::Tts).then(|| view! {
                    <div>
                        <label for=format!("field-{voice_field}") class=LABEL>"Voice (optional)"</label>
                        <input id=format!("field-{voice_field}") name=voice_field type="text" maxlength="200" value=form.voice.clone()
                            placeholder="e.g. Rachel or alloy" aria-describedby=format!("field-{voice_field}-error") class=INPUT/>
                        <p id=format!("field-{voice_field}-error") role="alert" class=ERROR>{voice_error}</p>
                    </div>
                })}
            </div>
            <div class="mt-4">
                <KeyPicker
                    name=key_field
                    choice=choice
                    keys=keys
                    saved_provider=form.saved_provider
                    chosen=form.chosen
                    chosen_label=form.chosen_label
                    picked=picked
                    error=key_error
                />
            </div>
        </fieldset>
    }
}

/// "Which key will be used?": from the saved choices, or, once a provider or key is changed in the
/// form `form` (an element id), from the form's choices before they are saved.
#[island]
pub fn WhichKeyPanel(
    kind: ConsumerKind,
    /// The consumer's id, or `new`.
    id: String,
    form: String,
    saved: Vec<Explained>,
) -> impl IntoView {
    let previewed = RwSignal::new(None::<Vec<Explained>>);
    // Answers can arrive out of order: only the one for the latest change is shown.
    let asked = StoredValue::new(0_u64);
    Effect::new(move || {
        let initial = form_choices(&form, kind);
        let (form, id) = (form.clone(), id.clone());
        listen(&document(), "change", move |event| {
            use leptos::wasm_bindgen::JsCast;
            let changed = event
                .target()
                .and_then(|target| target.dyn_into::<leptos::web_sys::Element>().ok())
                .and_then(|element| element.get_attribute("name"))
                .is_some_and(|name| name.ends_with("_provider") || name.ends_with("_key"));
            if !changed {
                return;
            }
            let (form, id, initial) = (form.clone(), id.clone(), initial.clone());
            // After the key pickers have followed the change.
            set_timeout(
                move || {
                    let now = form_choices(&form, kind);
                    asked.update_value(|n| *n += 1);
                    let this = asked.get_value();
                    if now == initial {
                        previewed.set(None);
                        return;
                    }
                    leptos::task::spawn_local(async move {
                        let answer = preview(kind, id, now).await;
                        if asked.get_value() == this {
                            previewed.set(answer);
                        }
                    });
                },
                std::time::Duration::ZERO,
            );
        });
    });
    move || {
        let (explained, note) = match previewed.get() {
            Some(previewed) => (
                previewed,
                "As chosen above, not saved yet: resolved from the form's choices, the keys' health and your organization's policy.",
            ),
            None => (
                saved.clone(),
                "Resolved now from the choices above, the keys' health and your organization's policy.",
            ),
        };
        (!explained.is_empty()).then(|| explained_list(explained, note))
    }
}

/// Each slot's provider and key as the form `form` holds them now.
fn form_choices(form: &str, kind: ConsumerKind) -> Vec<(Slot, String, String)> {
    let value = |field: &str| {
        document()
            .query_selector(&format!("#{form} [name={field}]"))
            .ok()
            .flatten()
            .and_then(|element| {
                use leptos::wasm_bindgen::JsCast;
                element
                    .dyn_into::<leptos::web_sys::HtmlSelectElement>()
                    .ok()
            })
            .map(|select| select.value())
            .unwrap_or_default()
    };
    kind.slots()
        .iter()
        .map(|slot| {
            (
                *slot,
                value(slot.field("provider")),
                value(slot.field("key")),
            )
        })
        .collect()
}

async fn preview(
    kind: ConsumerKind,
    id: String,
    choices: Vec<(Slot, String, String)>,
) -> Option<Vec<Explained>> {
    let field = |slot: Slot| {
        choices
            .iter()
            .find(|(s, ..)| *s == slot)
            .map(|(_, provider, key)| (Some(provider.clone()), Some(key.clone())))
            .unwrap_or_default()
    };
    let (chat_provider, chat_key) = field(Slot::Chat);
    let (stt_provider, stt_key) = field(Slot::Stt);
    let (tts_provider, tts_key) = field(Slot::Tts);
    let (image_provider, image_key) = field(Slot::Image);
    consumer_preview(
        kind.as_str().to_owned(),
        id,
        chat_provider,
        chat_key,
        stt_provider,
        stt_key,
        tts_provider,
        tts_key,
        image_provider,
        image_key,
    )
    .await
    .ok()
}

fn explained_list(explained: Vec<Explained>, note: &'static str) -> impl IntoView {
    view! {
        <section aria-labelledby="resolution-heading" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <h2 id="resolution-heading" class="text-base font-semibold text-slate-900">"Which key will be used?"</h2>
            <p class="mt-1 text-xs text-slate-500">{note}</p>
            <ul role="list" class="mt-4 space-y-4">
                {explained.into_iter().map(|item| {
                    let served = item.source.is_some();
                    view! {
                        <li class="border-t border-slate-100 pt-3 first:border-0 first:pt-0">
                            <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">{format!("{} · {}", item.slot.label(), item.provider_name)}</p>
                            <p class=if served { "mt-1 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm font-medium text-slate-900" } else { "mt-1 text-sm font-medium text-red-700" }>
                                <span class="min-w-0 break-words">{item.outcome.clone()}</span>
                                {item.source.clone().map(|source| view! {
                                    <span class="whitespace-nowrap rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200">{source}</span>
                                })}
                            </p>
                            {item.warning.clone().map(|warning| view! {
                                <p class="mt-1 rounded-md bg-amber-50 px-2 py-1 text-sm text-amber-900">{format!("Warning: {warning}")}</p>
                            })}
                            {(!item.explanation.is_empty()).then(|| view! {
                                <p class="mt-1 text-sm text-slate-600">{with_links(&item.explanation)}</p>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// An explanation with the hub pages it names ("Add one at /hub/anthropic.") as links.
pub(super) fn with_links(text: &str) -> impl IntoView {
    text.split(' ')
        .enumerate()
        .map(|(i, word)| {
            let space = if i == 0 { "" } else { " " };
            let address = word.trim_end_matches(['.', ',', ';', ':']);
            if address.starts_with("/hub/") && address.len() > "/hub/".len() {
                let after = &word[address.len()..];
                view! {
                    {space}
                    <a href=address.to_owned() class="font-medium text-indigo-700 hover:underline">{address.to_owned()}</a>
                    {after.to_owned()}
                }
                .into_any()
            } else {
                format!("{space}{word}").into_any()
            }
        })
        .collect_view()
}
