//! `/hub/{provider}`: every key of one provider (the org's, and the viewer's own) with its actions.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::fragments;
use super::layout::PageHeader;
use crate::api::error::ApiError;
use crate::api::keys::{
    key_outcome, provider_keys, DeleteKey, EditKey, KeyItem, MaskedKey, ProviderView, RotateKey,
    SetKeyEnabled, SetKeyRole, ValidateKey,
};
use crate::components::enable_switch::EnableSwitch;
use crate::components::form::{FormError, SubmitButton};
use crate::components::key_status::StatusBadge;
use crate::domain::catalog::{provider, with_article, Provider};
use crate::domain::keys::{KeyStatus, Role, Scope};
use crate::domain::time::readable;

const BUTTON: &str = "btn-sm";
const DANGER: &str = "btn-sm-danger";
const PANEL: &str = "panel";
const PANEL_BUTTON: &str = "panel-toggle";
const DANGER_PANEL: &str = "panel-danger";
const DANGER_BUTTON: &str = "panel-toggle-danger";
const INPUT: &str = "field-sm";

/// A key's forms that open in place. A page of many keys carries only the one the address asks
/// for (`?rotate=`, `?edit=` or `?delete=` and the key's id): every other key links to it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    Rotate,
    Edit,
    Delete,
}

impl Panel {
    const ALL: [Panel; 3] = [Panel::Rotate, Panel::Edit, Panel::Delete];

    fn param(self) -> &'static str {
        match self {
            Panel::Rotate => "rotate",
            Panel::Edit => "edit",
            Panel::Delete => "delete",
        }
    }
}

/// Every action a key row offers, shared by all rows of the page.
#[derive(Clone, Copy)]
struct KeyActions {
    /// The page's provider: every form names it, so the change comes back here confirmed.
    page: &'static str,
    toggle: ServerAction<SetKeyEnabled>,
    role: ServerAction<SetKeyRole>,
    rotate: ServerAction<RotateKey>,
    edit: ServerAction<EditKey>,
    delete: ServerAction<DeleteKey>,
    validate: ServerAction<ValidateKey>,
    /// The keys whose Rotate and Edit forms came back refused: those forms show the errors at
    /// their fields.
    rotated_from: StoredValue<Option<String>>,
    edited_from: StoredValue<Option<String>>,
    /// The panel the address opens, and for which key.
    opened: StoredValue<Option<(Panel, String)>>,
}

impl KeyActions {
    fn new(page: &'static str) -> KeyActions {
        let rotate = ServerAction::new();
        let edit = ServerAction::new();
        // A refused form comes back with the error and the key it was sent for.
        let sent_for = |value: Option<Result<(), ApiError>>| {
            value.and_then(Result::err).and_then(|e| e.entered("id"))
        };
        let opened = use_query_map().with_untracked(|query| {
            Panel::ALL
                .into_iter()
                .find_map(|panel| Some((panel, query.get(panel.param())?)))
        });
        KeyActions {
            page,
            opened: StoredValue::new(opened),
            toggle: ServerAction::new(),
            role: ServerAction::new(),
            rotated_from: StoredValue::new(sent_for(rotate.value().get_untracked())),
            edited_from: StoredValue::new(sent_for(edit.value().get_untracked())),
            rotate,
            edit,
            delete: ServerAction::new(),
            validate: ServerAction::new(),
        }
    }

    /// Whether `key_id`'s `panel` is on the page, open: the address asks for it, or its form
    /// came back refused.
    fn shows(&self, panel: Panel, key_id: &str) -> bool {
        let refused_from = |sent_from: StoredValue<Option<String>>| {
            sent_from.with_value(|from| from.as_deref() == Some(key_id))
        };
        let refused = match panel {
            Panel::Rotate => refused_from(self.rotated_from),
            Panel::Edit => refused_from(self.edited_from),
            Panel::Delete => false,
        };
        refused
            || self
                .opened
                .with_value(|opened| matches!(opened, Some((p, id)) if *p == panel && id == key_id))
    }

    /// Whether any of `key_id`'s panels is on the page: only then does its row show more than
    /// the key's data (what was entered, the errors at the fields).
    fn opens_any(&self, key_id: &str) -> bool {
        Panel::ALL
            .into_iter()
            .any(|panel| self.shows(panel, key_id))
    }

    /// A closed panel: a link to this page with it open, at the key.
    fn panel_link(
        &self,
        panel: Panel,
        key_id: &str,
        text: &'static str,
        label: String,
        class: &'static str,
    ) -> AnyView {
        let href = format!("/hub/{}?{}={key_id}#key-{key_id}", self.page, panel.param());
        view! { <a href=href class=class aria-label=label>{text}</a> }.into_any()
    }

    /// What was entered in `field` of `key_id`'s Edit form, when it came back refused.
    fn edit_entered(&self, key_id: &str, field: &str) -> Option<String> {
        if self.edited_from.get_value().as_deref() != Some(key_id) {
            return None;
        }
        self.edit
            .value()
            .with_untracked(|value| value.as_ref()?.as_ref().err()?.entered(field))
    }

    /// The last failure of any of them, in words; a field's error of a known Rotate or Edit form
    /// is shown at its field instead.
    fn error(&self) -> Option<String> {
        fn text(value: Option<Result<(), ApiError>>) -> Option<String> {
            value.and_then(Result::err).map(|e| e.to_string())
        }
        let at_form =
            |value: Option<Result<(), ApiError>>, from: StoredValue<Option<String>>| match from
                .get_value()
            {
                Some(_) => value.and_then(Result::err).and_then(|e| e.for_form()),
                None => text(value),
            };
        text(self.toggle.value().get())
            .or_else(|| text(self.role.value().get()))
            .or_else(|| at_form(self.rotate.value().get(), self.rotated_from))
            .or_else(|| at_form(self.edit.value().get(), self.edited_from))
            .or_else(|| text(self.delete.value().get()))
            .or_else(|| text(self.validate.value().get()))
    }

    /// The error at `field` of the last failure in `last` (an action's value), when it was sent
    /// from `key_id`'s form.
    fn field_error(
        last: impl Fn() -> Option<Result<(), ApiError>> + Send + Sync + 'static,
        sent_from: StoredValue<Option<String>>,
        key_id: StoredValue<String>,
        field: &'static str,
    ) -> Signal<Option<String>> {
        Signal::derive(move || {
            if sent_from.get_value() != Some(key_id.get_value()) {
                return None;
            }
            last()
                .and_then(Result::err)
                .and_then(|error| error.for_field(field))
        })
    }
}

#[component]
pub fn ProviderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("provider").unwrap_or_default();
    move || {
        match provider(&id()) {
        None => view! {
            <PageHeader title="Provider not found" description="KeyHub does not know this provider."/>
            <a href="/hub" class="text-sm font-medium text-indigo-700 hover:underline">"Back to the Provider Hub"</a>
        }
        .into_any(),
        Some(provider) => {
            let actions = KeyActions::new(provider.id);
            let keys = Resource::new(
                move || provider.id,
                |id| provider_keys(id.to_owned()),
            );
            view! {
                <PageHeader title=provider.name description=provider.summary/>
                <div class="mb-6 flex flex-wrap items-center gap-3">
                    <a href=format!("/hub/add?provider={}", provider.id) class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2">
                        "Add a key"
                    </a>
                    <a href="/hub" class="text-sm font-medium text-indigo-700 hover:underline">"All providers"</a>
                </div>
                {move || query.read().get("check_key").map(|_| view! {
                    <p role="status" class="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                        {format!("The key you just saved does not look like {} key. It is saved; check that you chose the right provider and pasted the right key.", with_article(provider.name))}
                    </p>
                })}
                <FormError error=Signal::derive(move || actions.error())/>
                <Outcome/>
                <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading keys…"</p> }>
                    {move || keys.with(|result| result.as_ref().map(|result| match result {
                        Ok(view) => key_list(provider, view, actions).into_any(),
                        Err(error) => view! { <p role="alert" class="text-sm text-red-700">{error.to_string()}</p> }.into_any(),
                    }))}
                </Transition>
            }
            .into_any()
        }
    }
    }
}

/// What the last change did ("Deleted 'Backup' (sk-proj...Wk02)."), from `?done=…&key=…`, which
/// every key form's change comes back with. Focus moves here (`autofocus`, so without JavaScript
/// too), and a second Enter can never act on whatever key now sits where the changed one was.
#[component]
fn Outcome() -> impl IntoView {
    let query = use_query_map();
    let outcome = Resource::new(
        move || {
            let query = query.read();
            (query.get("done"), query.get("key"))
        },
        |(done, key)| async move {
            match (done, key) {
                (Some(done), Some(key)) => key_outcome(done, key).await.ok().flatten(),
                _ => None,
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || outcome.get().flatten().map(|sentence| view! {
                <p role="status" tabindex="-1" autofocus=true class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 focus:outline-none focus:ring-2 focus:ring-emerald-500">
                    {sentence}
                </p>
            })}
        </Transition>
    }
}

/// Whose keys serve whom: the viewer's personal primary comes first for them, and admins learn
/// that members hold personal keys (how many, never which).
fn whose_keys(provider: &'static Provider, view: &ProviderView) -> impl IntoView {
    let own_primary = view
        .primary(provider.id, Scope::Personal)
        .filter(|_| view.personal_allowed)
        .map(|key| {
            format!(
                "Your personal key {} is used first for your experts and assistants; the \
                 organization's keys come after it.",
                key.quoted()
            )
        });
    let members = match view.members_personal_keys {
        0 => None,
        1 => Some(format!(
            "A member holds a personal {} key. Only its owner sees and uses it.",
            provider.name
        )),
        n => Some(format!(
            "Members hold {n} personal {} keys. Only their owners see and use them.",
            provider.name
        )),
    };
    [own_primary, members]
        .into_iter()
        .flatten()
        .map(|line| view! { <p class="mb-4 rounded-md border border-violet-200 bg-violet-50 px-3 py-2 text-sm text-violet-900">{line}</p> })
        .collect_view()
}

fn key_list(
    provider: &'static Provider,
    view: &ProviderView,
    actions: KeyActions,
) -> impl IntoView {
    let notes = whose_keys(provider, view).into_any();
    if view.keys.is_empty() {
        let who = if view.can_manage {
            "Add the organization's key to let experts and assistants use it."
        } else if view.personal_allowed {
            "Your admins have not added one. You can add a personal key of your own."
        } else {
            "Ask an admin of your organization to add one."
        };
        return view! {
            {notes}
            <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center">
                <p class="text-sm font-medium text-slate-900">{format!("No {} keys yet", provider.name)}</p>
                <p class="mt-1 text-sm text-slate-600">{who}</p>
            </div>
        }
        .into_any();
    }
    // The rows are plain HTML (no island, nothing the browser re-renders): drawn here in one
    // pass, they skip the asynchronous resolution the page's Transition walks through every
    // element it holds. A row with all its panels closed shows only its data: drawn once, it is
    // copied while that data stays the same.
    let fallbacks: Vec<usize> = view
        .keys
        .iter()
        .map(|item| fallbacks_beside(&view.keys, &item.key))
        .collect();
    let mut rows = String::new();
    for (item, fallbacks) in view.keys.iter().zip(fallbacks) {
        let draw = || key_row(provider, item.clone(), fallbacks, actions).to_html();
        if actions.opens_any(&item.key.id) {
            rows.push_str(&draw());
        } else {
            let data = ("provider_page::key_row", actions.page, fallbacks, item);
            rows.push_str(&fragments::html(&data, draw));
        }
    }
    view! {
        {notes}
        <ul role="list" aria-label="Keys" class="space-y-4" inner_html=rows></ul>
    }
    .into_any()
}

/// When the key was last checked, and when the provider last accepted it if that was earlier
/// ("Last validated … · last accepted …"): a key checked a minute ago and rejected since March
/// reads differently from one that works.
fn checked_line(key: &MaskedKey, last_check_accepted: bool) -> String {
    let Some(checked) = &key.last_validated_at else {
        return "Not validated yet".to_owned();
    };
    let accepted = match (last_check_accepted, &key.last_success_at) {
        (true, _) => "accepted by the provider".to_owned(),
        (false, Some(accepted)) => format!("last accepted {}", readable(accepted)),
        (false, None) => "never accepted by the provider".to_owned(),
    };
    format!("Last validated {} · {accepted}", readable(checked))
}

fn role_text(key: &MaskedKey) -> String {
    match (key.role, key.fallback_rank) {
        (Role::Primary, _) => "Primary".to_owned(),
        (Role::Fallback, Some(rank)) => format!("Fallback {rank}"),
        _ => "No role".to_owned(),
    }
}

/// "Through the gateway: 12 requests, 2 failed (1 rate-limited, 1 out of credit); last used …".
fn usage_line(usage: &crate::domain::keys::KeyUsage) -> String {
    use crate::domain::time::utc_minute;
    let failed: Vec<String> = [
        (usage.rate_limited, "rate-limited"),
        (usage.no_credits, "out of credit"),
        (usage.rejected, "rejected"),
        (usage.provider_failed, "provider failed"),
        (usage.unreachable, "unreachable"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}"))
    .collect();
    let mut line = format!("Through the gateway: {} requests", usage.requests);
    if !failed.is_empty() {
        line.push_str(&format!(
            ", {} failed ({})",
            usage.failures(),
            failed.join(", ")
        ));
    }
    if let Some(at) = usage.last_used_at {
        line.push_str(&format!("; last used {}", utc_minute(at)));
    }
    if let (Some(at), Some(what)) = (usage.last_failure_at, &usage.last_failure) {
        line.push_str(&format!("; last failure {}: {what}", utc_minute(at)));
    }
    line
}

/// "1 expert", "2 experts and 1 assistant".
fn used_by_count(users: &[String]) -> String {
    let count = |kind: &str| users.iter().filter(|u| u.starts_with(kind)).count();
    let words = |n: usize, noun: &str| match n {
        0 => None,
        1 => Some(format!("1 {noun}")),
        n => Some(format!("{n} {noun}s")),
    };
    [
        words(count("expert"), "expert"),
        words(count("assistant"), "assistant"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" and ")
}

/// How many fallbacks the group of `key` (its provider and scope) has.
fn fallbacks_beside(keys: &[KeyItem], key: &MaskedKey) -> usize {
    keys.iter()
        .filter(|other| {
            other.key.provider == key.provider
                && other.key.scope == key.scope
                && other.key.role == Role::Fallback
        })
        .count()
}

fn key_row(
    provider: &'static Provider,
    item: KeyItem,
    fallbacks: usize,
    actions: KeyActions,
) -> impl IntoView {
    let KeyItem {
        key,
        last_check_accepted,
        can_change,
        created_by,
        updated_by,
        used_by,
    } = item;
    let label = key.control_name();
    let changes =
        can_change.then(|| key_actions(provider, &key, &used_by, label, fallbacks, actions));
    let role_text = role_text(&key);
    let checked = checked_line(&key, last_check_accepted);
    let name = key.nickname.unwrap_or_else(|| "Unnamed key".to_owned());
    let heading_id = format!("key-{}", key.id);
    let labelled_by = heading_id.clone();
    let personal = key.scope == Scope::Personal;
    view! {
        <li>
            <article aria-labelledby=labelled_by class="key-card">
                <div class="key-head">
                    <div>
                        <h2 id=heading_id class="key-name">{name}</h2>
                        <p class="key-tags">
                            <code class="hint">{key.hint}</code>
                            <span class="tag-role">{role_text}</span>
                            {personal.then(|| view! { <span class="tag-personal">"Personal"</span> })}
                            {(key.provider != provider.id).then(|| {
                                let served = crate::domain::catalog::provider(&key.provider).map(|p| p.name).unwrap_or_default();
                                view! { <span class="text-xs text-slate-500">{format!("added for {served}")}</span> }
                            })}
                        </p>
                    </div>
                    <StatusBadge status=key.status enabled=key.enabled/>
                </div>
                <p class="mt-3 text-sm text-slate-700">{checked}</p>
                {key.last_error.map(|error| view! {
                    <p class="mt-1 text-sm text-slate-600">{error.message}</p>
                })}
                <p class="mt-2 text-xs text-slate-500">
                    {format!("Added {} by {} · changed {} by {}", key.created_at.get(..10).unwrap_or_default(), created_by, key.updated_at.get(..10).unwrap_or_default(), updated_by)}
                </p>
                {key.usage.as_ref().map(|usage| view! {
                    <p class="mt-2 text-sm text-slate-700">{usage_line(usage)}</p>
                })}
                {(!used_by.is_empty()).then(|| view! {
                    <p class="mt-2 text-sm text-slate-700">
                        {format!("Used by {}: {}", used_by_count(&used_by), used_by.join(", "))}
                    </p>
                })}
                {changes}
            </article>
        </li>
    }
}

/// A field's error under it, read out when it appears.
#[component]
fn FieldMessage(error: Signal<Option<String>>) -> impl IntoView {
    view! { <p role="alert" class="text-xs text-red-700">{move || error.get()}</p> }
}

fn key_actions(
    provider: &'static Provider,
    key: &MaskedKey,
    used_by: &[String],
    label: String,
    fallbacks: usize,
    actions: KeyActions,
) -> AnyView {
    // Copy handles: every form below needs the id and the label.
    let id = StoredValue::new(key.id.clone());
    let label = StoredValue::new(label);
    let named = move |what: &str| format!("{what} {}", label.get_value());
    let role_id = format!("role-{}", key.id);
    let rank_id = format!("rank-{}", key.id);
    let (role, rank, last) = (key.role, key.fallback_rank, last_position(key, fallbacks));
    let needs_reentry = key.status == KeyStatus::NeedsReentry;
    let delete_open = actions.shows(Panel::Delete, &key.id);
    let used_by = if used_by.is_empty() {
        "No expert or assistant uses this key.".to_owned()
    } else {
        format!(
            "Used by {}: they will move on to the next key.",
            used_by.join(", ")
        )
    };
    view! {
        <div class="key-actions">
            {(!needs_reentry).then(|| view! {
                <form action=ValidateKey::url() method="post">
                    {hidden_id(id, actions.page)}
                    <SubmitButton label="Validate" busy_label="Checking…" small=true aria_label=named("Validate")/>
                </form>
            })}
            <EnableSwitch id=key.id.clone() enabled=key.enabled name=named("Use") page=actions.page/>
            <form action=SetKeyRole::url() method="post" class="flex items-center gap-1">
                {hidden_id(id, actions.page)}
                <label for=role_id.clone() class="label-xs">"Role"</label>
                <select id=role_id name="role" aria-label=named("Role of") class="select-xs">
                    <option value="primary" selected=role == Role::Primary>"Primary"</option>
                    <option value="fallback" selected=role == Role::Fallback>"Fallback"</option>
                    <option value="none" selected=role == Role::None>"No role"</option>
                </select>
                <label for=rank_id.clone() class="label-xs">"at"</label>
                <input id=rank_id type="number" name="rank" min="1" max=last value=rank aria-label=named("Fallback position of") class="select-xs w-14"/>
                <button type="submit" class=BUTTON aria-label=named("Set the role of")>"Set role"</button>
            </form>
        </div>
        <div class="mt-3 flex flex-wrap items-start gap-2">
            {rotate_form(actions, id, label, needs_reentry, provider.key_required)}
            {edit_form(provider, key, actions, id, label)}
            {if delete_open {
                view! {
                    <details class=DANGER_PANEL open=true>
                        <summary class=DANGER_BUTTON>"Delete…"</summary>
                        <form action=DeleteKey::url() method="post" class="mt-2 space-y-2">
                            {hidden_id(id, actions.page)}
                            <p class="text-xs text-slate-700">{used_by}</p>
                            <p class="text-xs text-slate-700">"Deleting wipes the secret at once and cannot be undone; the activity log keeps its hint."</p>
                            <button type="submit" class=DANGER aria-label=named("Delete")>"Delete key"</button>
                        </form>
                    </details>
                }
                .into_any()
            } else {
                actions.panel_link(Panel::Delete, &id.get_value(), "Delete…", named("Delete"), DANGER_BUTTON)
            }}
        </div>
    }
    .into_any()
}

/// The highest fallback position `key` can take in a group with `fallbacks` fallbacks: the last,
/// or one past it when the key is not a fallback yet.
fn last_position(key: &MaskedKey, fallbacks: usize) -> usize {
    let last = if key.role == Role::Fallback {
        fallbacks
    } else {
        fallbacks + 1
    };
    last.max(1)
}

/// The hidden fields naming the key a form acts on and the page to come back to.
fn hidden_id(id: StoredValue<String>, page: &'static str) -> impl IntoView {
    view! {
        <input type="hidden" name="id" value=id.get_value()/>
        <input type="hidden" name="page" value=page/>
    }
}

/// Rotate: a new secret in place, checked with the provider first. Its own view (type-erased) so
/// rendering a page of keys stays shallow.
fn rotate_form(
    actions: KeyActions,
    id: StoredValue<String>,
    label: StoredValue<String>,
    needs_reentry: bool,
    key_required: bool,
) -> AnyView {
    let named = move |what: &str| format!("{what} {}", label.get_value());
    if !needs_reentry && !id.with_value(|id| actions.shows(Panel::Rotate, id)) {
        return id.with_value(|id| {
            actions.panel_link(Panel::Rotate, id, "Rotate", named("Rotate"), PANEL_BUTTON)
        });
    }
    let rotate_error = move |field| {
        KeyActions::field_error(
            move || actions.rotate.value().get(),
            actions.rotated_from,
            id,
            field,
        )
    };
    view! {
        <details class=PANEL open=true>
            <summary class=PANEL_BUTTON>{if needs_reentry { "Re-enter key" } else { "Rotate" }}</summary>
            {needs_reentry.then(|| view! {
                <p class="mt-2 text-xs text-amber-900">"The master key was lost, and with it this key's secret. Paste the key again: it is checked with the provider and put back in place, and every expert and assistant that chose it works again as it was."</p>
            })}
            <form action=RotateKey::url() method="post" class="mt-2 space-y-2">
                {hidden_id(id, actions.page)}
                <label class="block text-xs font-medium text-slate-700">
                    {named(if needs_reentry { "API key for" } else { "New API key for" })}
                    <input type="password" name="api_key" autocomplete="new-password" required=key_required class=INPUT aria-invalid=move || rotate_error("api_key").get().is_some().to_string()/>
                </label>
                <FieldMessage error=rotate_error("api_key")/>
                <p class="text-xs text-slate-500">"The new key is checked with the provider first. It keeps its place: experts and assistants that use it keep working."</p>
                <label class="flex items-start gap-2 text-xs text-slate-700">
                    <input type="checkbox" name="allow_unverified" value="on" class="mt-0.5 h-3.5 w-3.5 rounded border-slate-300"/>
                    "Save even if the provider cannot be reached"
                </label>
                <SubmitButton label=if needs_reentry { "Re-enter key" } else { "Rotate key" } busy_label="Checking with the provider…" small=true/>
            </form>
        </details>
    }
    .into_any()
}

/// Edit: nickname, base URL and options; a move to another destination needs the key again.
fn edit_form(
    provider: &'static Provider,
    key: &MaskedKey,
    actions: KeyActions,
    id: StoredValue<String>,
    label: StoredValue<String>,
) -> AnyView {
    let named = move |what: &str| format!("{what} {}", label.get_value());
    if !actions.shows(Panel::Edit, &key.id) {
        return actions.panel_link(Panel::Edit, &key.id, "Edit", named("Edit"), PANEL_BUTTON);
    }
    let edit_error = move |field| {
        KeyActions::field_error(
            move || actions.edit.value().get(),
            actions.edited_from,
            id,
            field,
        )
    };
    let moving_words = format!(
        "Needed only when you change {}: a key is sent somewhere new only when you paste it again, \
         and it is checked there first.",
        provider.destination_words()
    );
    let options: Vec<(&'static str, &'static str, &'static str, String)> = provider
        .options
        .iter()
        .map(|field| {
            let value = key
                .options
                .get(field.name)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            (field.name, field.label, field.placeholder, value.to_owned())
        })
        .collect();
    // As entered when the form came back refused without JavaScript; where the key is sent is
    // always shown as stored (see `keeping`).
    let nickname = actions
        .edit_entered(&key.id, "nickname")
        .unwrap_or_else(|| key.nickname.clone().unwrap_or_default());
    let api_base = key.api_base.clone().unwrap_or_default();
    view! {
        <details class=PANEL open=true>
            <summary class=PANEL_BUTTON>"Edit"</summary>
            <form action=EditKey::url() method="post" class="mt-2 space-y-2">
                {hidden_id(id, actions.page)}
                <label class="block text-xs font-medium text-slate-700">
                    "Nickname"
                    <input type="text" name="nickname" maxlength="80" value=nickname class=INPUT/>
                </label>
                <FieldMessage error=edit_error("nickname")/>
                <label class="block text-xs font-medium text-slate-700">
                    "API base URL"
                    <input type="url" name="api_base" value=api_base placeholder=provider.default_base_url.unwrap_or("https://…") class=INPUT/>
                </label>
                <FieldMessage error=edit_error("api_base")/>
                {options.into_iter().map(|(name, field_label, placeholder, value)| view! {
                    <label class="block text-xs font-medium text-slate-700">
                        {field_label}
                        <input type="text" name=format!("options[{name}]") value=value placeholder=placeholder class=INPUT/>
                    </label>
                }).collect_view()}
                <FieldMessage error=edit_error("options")/>
                <label class="block text-xs font-medium text-slate-700">
                    {named("API key again for")}
                    <input type="password" name="api_key" autocomplete="new-password" class=INPUT aria-invalid=move || edit_error("api_key").get().is_some().to_string()/>
                </label>
                <p class="text-xs text-slate-500">{moving_words}</p>
                <FieldMessage error=edit_error("api_key")/>
                <label class="flex items-start gap-2 text-xs text-slate-700">
                    <input type="checkbox" name="allow_unverified" value="on" class="mt-0.5 h-3.5 w-3.5 rounded border-slate-300"/>
                    "Save even if the provider cannot be reached"
                </label>
                <SubmitButton label="Save changes" busy_label="Saving…" small=true/>
            </form>
        </details>
    }
    .into_any()
}
