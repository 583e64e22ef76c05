//! `/experts`, `/assistants` and their editors: each slot with its provider and key picker, and
//! a "Which key will be used?" panel that resolves every slot now. Every form works without
//! JavaScript; with it, a slot's picker follows its provider as it changes.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::consumer_editor::{with_links, SlotForm, SlotPickers, WhichKeyPanel};
use super::layout::PageHeader;
use crate::api::consumers::{
    consumer_editor, consumer_list, ConsumerSummary, DeleteConsumer, EditorView, SaveConsumer,
};
use crate::components::form::{action_errors, FormError, SubmitButton, FORM};
use crate::components::key_picker::Choice;
use crate::domain::consumers::{ConsumerKind, Slot, Target, NEW_CHAT_PROVIDER};

/// The editor's form, whose choices "Which key will be used?" follows.
const EDITOR_FORM: &str = "consumer-editor";
const INPUT: &str = "field";
const LABEL: &str = "field-label";
const ERROR: &str = "field-error";

fn title(kind: ConsumerKind) -> (&'static str, &'static str) {
    match kind {
        ConsumerKind::Expert => (
            "Experts",
            "Each expert uses a model, and optionally voice and image slots, each with the key you choose.",
        ),
        ConsumerKind::Assistant => (
            "Assistants",
            "Assistants may build on an expert and use a model and key of their own.",
        ),
    }
}

#[component]
pub fn ExpertsPage() -> impl IntoView {
    view! { <ConsumersPage kind=ConsumerKind::Expert/> }
}

#[component]
pub fn AssistantsPage() -> impl IntoView {
    view! { <ConsumersPage kind=ConsumerKind::Assistant/> }
}

#[component]
pub fn ExpertPage() -> impl IntoView {
    view! { <ConsumerPage kind=ConsumerKind::Expert/> }
}

#[component]
pub fn AssistantPage() -> impl IntoView {
    view! { <ConsumerPage kind=ConsumerKind::Assistant/> }
}

#[component]
fn ConsumersPage(kind: ConsumerKind) -> impl IntoView {
    let (heading, description) = title(kind);
    let list = Resource::new(move || kind, |kind| consumer_list(kind.as_str().to_owned()));
    let noun = kind.label();
    view! {
        <PageHeader title=heading description=description/>
        <div class="mb-6">
            <a href=format!("{}/new", kind.path()) class="inline-flex rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2">
                {format!("New {noun}")}
            </a>
        </div>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || list.get().map(|result| match result {
                Err(error) => view! { <p role="alert" class="text-sm text-red-700">{error.to_string()}</p> }.into_any(),
                Ok(view) if view.items.is_empty() => view! {
                    <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center">
                        <p class="text-sm font-medium text-slate-900">{format!("No {noun}s yet")}</p>
                        <p class="mt-1 text-sm text-slate-600">{format!("Create an {noun} to choose which model and which keys it uses.")}</p>
                    </div>
                }.into_any(),
                Ok(view) => view! {
                    <ul role="list" aria-label=heading class="grid gap-4 lg:grid-cols-2">
                        {view.items.into_iter().map(|item| consumer_card(kind, item, view.sees_all)).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
    }
}

fn slot_line(slot: &crate::api::consumers::SlotView) -> String {
    let mut parts = vec![slot.provider_name.clone()];
    parts.extend(slot.model.clone());
    parts.extend(slot.voice.clone().map(|voice| format!("voice {voice}")));
    let key = slot
        .key_label
        .clone()
        .unwrap_or_else(|| "Use main key".to_owned());
    format!("{}: {} · {key}", slot.slot.label(), parts.join(" "))
}

fn consumer_card(kind: ConsumerKind, item: ConsumerSummary, sees_all: bool) -> impl IntoView {
    let heading_id = format!("consumer-{}", item.id);
    let labelled_by = heading_id.clone();
    let warned = !item.warnings.is_empty();
    view! {
        <li>
            <article aria-labelledby=labelled_by class="h-full rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
                <div class="flex items-start justify-between gap-3">
                    <h2 id=heading_id class="text-base font-semibold text-slate-900">
                        <a href=format!("{}/{}", kind.path(), item.id) class="hover:underline focus:outline-none focus:ring-2 focus:ring-indigo-500">{item.name.clone()}</a>
                    </h2>
                    {warned.then(|| view! {
                        <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300">"Needs attention"</span>
                    })}
                </div>
                {(!item.description.is_empty()).then(|| view! { <p class="mt-1 text-sm text-slate-600">{item.description.clone()}</p> })}
                <ul class="mt-3 space-y-1 text-sm text-slate-700">
                    {item.slots.iter().map(|slot| view! { <li>{slot_line(slot)}</li> }).collect_view()}
                </ul>
                {item.warnings.into_iter().map(|warning| view! {
                    <p class="mt-2 text-sm text-amber-900">{with_links(&warning)}</p>
                }).collect_view()}
                {sees_all.then(|| view! { <p class="mt-3 text-xs text-slate-500">{format!("Owner: {}", item.owner)}</p> })}
            </article>
        </li>
    }
}

#[component]
fn ConsumerPage(kind: ConsumerKind) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let save = ServerAction::<SaveConsumer>::new();
    let delete = ServerAction::<DeleteConsumer>::new();
    let editor = Resource::new(id, move |id| consumer_editor(kind.as_str().to_owned(), id));
    let saved = move || query.read().get("saved").is_some();
    // "Show keys" without JavaScript sends the form back here (a GET), and so does a save that
    // was refused: their values fill the form.
    let refused = save.value().with_untracked(|value| match value {
        Some(Err(crate::api::error::ApiError::Invalid { entered, .. })) if !entered.is_empty() => {
            let mut form = leptos_router::params::ParamsMap::new();
            for (field, value) in entered {
                form.insert(field.clone(), value.clone());
            }
            Some(form)
        }
        _ => None,
    });
    let sent = move || {
        let query = query.read();
        match query.get("show_keys") {
            Some(_) => Some((query.clone(), true)),
            None => refused.clone().map(|form| (form, false)),
        }
    };
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || editor.get().map(|result| match result {
                Err(error) => view! {
                    <PageHeader title="Not found" description="There is nothing at this address you may see."/>
                    <p role="alert" class="text-sm text-red-700">{error.to_string()}</p>
                    <a href=kind.path() class="text-sm font-medium text-indigo-700 hover:underline">"Back to the list"</a>
                }.into_any(),
                Ok(view) => editor_page(kind, id(), view, save, delete, saved(), sent()).into_any(),
            })}
        </Transition>
    }
}

fn editor_page(
    kind: ConsumerKind,
    id: String,
    view: EditorView,
    save: ServerAction<SaveConsumer>,
    delete: ServerAction<DeleteConsumer>,
    saved: bool,
    sent: Option<(leptos_router::params::ParamsMap, bool)>,
) -> impl IntoView {
    let noun = kind.label();
    // The form as sent back (and whether by "Show keys", rather than a refused save).
    let shown_keys = sent.as_ref().is_some_and(|(_, shown_keys)| *shown_keys);
    let sent = sent.map(|(form, _)| form);
    let heading = match &view.consumer {
        Some(consumer) => consumer.name.clone(),
        None => format!("New {noun}"),
    };
    let error = action_errors(Signal::derive(move || save.value().get()));
    let delete_error = Signal::derive(move || {
        delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    let consumer = view.consumer.clone();
    let value = move |f: fn(&ConsumerSummary) -> Option<String>| {
        consumer.as_ref().and_then(f).unwrap_or_default()
    };
    let from_form = |field: &str| sent.as_ref().and_then(|form| form.get(field));
    let name = from_form("name").unwrap_or_else(|| value(|c| Some(c.name.clone())));
    let description =
        from_form("description").unwrap_or_else(|| value(|c| Some(c.description.clone())));
    let expert_id = from_form("expert_id").unwrap_or_else(|| value(|c| c.expert_id.clone()));
    // Each slot as the form shows it: as sent back, else as saved.
    let slot_now = |slot: Slot| -> Option<crate::api::consumers::SlotView> {
        match &sent {
            Some(form) => {
                let provider = form.get(slot.field("provider")).filter(|p| !p.is_empty())?;
                Some(crate::api::consumers::SlotView {
                    slot,
                    provider_name: String::new(),
                    model: form.get(slot.field("model")),
                    voice: form.get(slot.field("voice")),
                    key_id: form.get(slot.field("key")).filter(|k| !k.is_empty()),
                    key_label: None,
                    provider,
                })
            }
            None => view.consumer.as_ref().and_then(|c| c.slot(slot)).cloned(),
        }
    };
    let disabled = !view.can_change;
    let refusal = save.value().get_untracked().and_then(Result::err);
    let slots: Vec<SlotForm> = kind
        .slots()
        .iter()
        .map(|slot| {
            let current = slot_now(*slot);
            let errors = ["provider", "model", "voice", "key"]
                .into_iter()
                .map(|part| slot.field(part))
                .filter_map(|field| Some((field.to_owned(), refusal.as_ref()?.for_field(field)?)))
                .collect();
            SlotForm {
                slot: *slot,
                choices: provider_choices(*slot, &view.custom_targets),
                provider: initial_provider(*slot, current.as_ref()),
                saved_provider: current.as_ref().map(|s| s.provider.clone()),
                chosen: current.as_ref().and_then(|s| s.key_id.clone()),
                chosen_label: current.as_ref().and_then(|s| s.key_label.clone()),
                model: current
                    .as_ref()
                    .and_then(|s| s.model.clone())
                    .unwrap_or_default(),
                voice: current
                    .as_ref()
                    .and_then(|s| s.voice.clone())
                    .unwrap_or_default(),
                errors,
            }
        })
        .collect();
    let button = match (&view.consumer, kind) {
        (None, ConsumerKind::Expert) => "Create expert",
        (None, ConsumerKind::Assistant) => "Create assistant",
        (Some(_), ConsumerKind::Expert) => "Save expert",
        (Some(_), ConsumerKind::Assistant) => "Save assistant",
    };
    let delete_id = id.clone();
    let panel_id = id.clone();
    view! {
        <leptos_meta::Title text=heading.clone()/>
        <div class="mb-6">
            <a href=kind.path() class="text-sm font-medium text-indigo-700 hover:underline">{format!("All {noun}s")}</a>
            <h1 class="mt-1 text-2xl font-semibold tracking-tight text-slate-900">{heading}</h1>
            {view.consumer.as_ref().map(|c| view! { <p class="mt-1 text-sm text-slate-600">{format!("Owner: {}", c.owner)}</p> })}
        </div>
        {shown_keys.then(|| view! {
            <p role="status" class="mb-4 rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-700">
                "The key lists now follow the providers you chose. Nothing is saved yet."
            </p>
        })}
        {saved.then(|| view! {
            <p role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">"Saved."</p>
        })}
        {disabled.then(|| view! {
            <p role="status" class="mb-4 rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-700">
                {format!("Only the owner and admins change this {noun}.")}
            </p>
        })}
        <div class="grid gap-6 lg:grid-cols-3">
            <section aria-label=format!("{noun} settings") class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm lg:col-span-2">
                <ActionForm action=save attr:id=EDITOR_FORM attr:class="space-y-6">
                    <input type="hidden" name="kind" value=kind.as_str()/>
                    <input type="hidden" name="id" value=id.clone()/>
                    <fieldset disabled=disabled class="space-y-6">
                        <FormError error=error(FORM)/>
                        <div>
                            <label for="field-name" class=LABEL>"Name"</label>
                            <input id="field-name" name="name" type="text" required=true maxlength="120" value=name
                                aria-invalid=move || error("name").get().is_some().to_string()
                                aria-describedby="field-name-error" class=INPUT/>
                            <p id="field-name-error" role="alert" class=ERROR>{move || error("name").get()}</p>
                        </div>
                        <div>
                            <label for="field-description" class=LABEL>"Description"</label>
                            <textarea id="field-description" name="description" rows="2" maxlength="2000" class=INPUT
                                aria-describedby="field-description-error">{description}</textarea>
                            <p id="field-description-error" role="alert" class=ERROR>{move || error("description").get()}</p>
                        </div>
                        {(kind == ConsumerKind::Assistant).then(|| view! {
                            <div>
                                <label for="field-expert_id" class=LABEL>"Builds on expert"</label>
                                <select id="field-expert_id" name="expert_id" class=INPUT aria-describedby="field-expert_id-error">
                                    <option value="">"None"</option>
                                    {view.experts.iter().map(|(id, name)| view! {
                                        <option value=id.clone() selected=*id == expert_id>{name.clone()}</option>
                                    }).collect_view()}
                                </select>
                                <p id="field-expert_id-error" role="alert" class=ERROR>{move || error("expert_id").get()}</p>
                            </div>
                        })}
                        <SlotPickers kind slots keys=view.keys.clone()/>
                        <div class="max-w-xs">
                            <SubmitButton label=button busy_label="Saving…"/>
                        </div>
                        <ShowKeysWithoutScript page=format!("{}/{}", kind.path(), id)/>
                    </fieldset>
                </ActionForm>
            </section>
            <aside class="space-y-6">
                <WhichKeyPanel kind id=panel_id form=EDITOR_FORM.to_owned() saved=view.explained.clone()/>
                {(view.consumer.is_some() && view.can_change).then(|| view! {
                    <details class="rounded-xl border border-red-200 bg-white p-4">
                        <summary class="cursor-pointer text-sm font-medium text-red-700">{format!("Delete this {noun}…")}</summary>
                        <ActionForm action=delete attr:class="mt-3 space-y-2">
                            <input type="hidden" name="kind" value=kind.as_str()/>
                            <input type="hidden" name="id" value=delete_id.clone()/>
                            <p class="text-sm text-slate-700">"Its key choices go with it; the keys themselves stay in the hub."</p>
                            <FormError error=delete_error/>
                            <button type="submit" class="rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 focus:outline-none focus:ring-2 focus:ring-red-500">
                                {format!("Delete {noun}")}
                            </button>
                        </ActionForm>
                    </details>
                })}
            </aside>
        </div>
    }
}

/// A slot's provider choices: the catalog's providers that serve it, and for the model the org's
/// custom endpoints.
fn provider_choices(slot: Slot, customs: &[String]) -> Vec<Choice> {
    let catalog = slot
        .providers()
        .filter_map(|p| Target::parse(p.id))
        .map(|target| {
            let label = target.provider.name.to_owned();
            Choice::new(&target, label)
        });
    let customs = customs
        .iter()
        .filter(|_| slot == Slot::Chat)
        .filter_map(|id| Target::parse(id))
        .map(|target| {
            let label = format!("Custom: {}", target.name());
            Choice::new(&target, label)
        });
    catalog.chain(customs).collect()
}

/// The provider a slot's form starts with: the saved one, else OpenAI for the model and "Not used"
/// for the others.
fn initial_provider(slot: Slot, current: Option<&crate::api::consumers::SlotView>) -> String {
    match (current, slot) {
        (Some(current), _) => current.provider.clone(),
        (None, Slot::Chat) => NEW_CHAT_PROVIDER.to_owned(),
        (None, _) => String::new(),
    }
}

/// Without JavaScript a key picker cannot follow its provider as it changes: this button sends the
/// form back to the page (a GET, nothing saved) to list the chosen providers' keys. Only where
/// scripts do not run (`noscript`): elsewhere the pickers follow by themselves.
#[component]
fn ShowKeysWithoutScript(page: String) -> impl IntoView {
    view! {
        <noscript>
            <div class="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
                <button type="submit" formmethod="get" formaction=page formnovalidate=true name="show_keys" value="1" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500">
                    "Show the chosen providers' keys"
                </button>
                <p class="mt-2 text-xs text-slate-600">"Changed a provider? Press this to list its keys before you save."</p>
            </div>
        </noscript>
    }
}
