use leptos::prelude::*;

use crate::domain::catalog::Category;

const TAB_CLASS: &str = "tab";

/// All / LLM / Voice / Image, as links to `/hub?category=…`, each with its category's id in
/// `data-category` (empty for All).
#[component]
pub fn CategoryTabs(#[prop(into)] selected: Signal<Option<Category>>) -> impl IntoView {
    let tabs = std::iter::once((None, "All", "/hub".to_owned())).chain(
        Category::ALL
            .into_iter()
            .map(|c| (Some(c), c.label(), format!("/hub?category={}", c.id()))),
    );
    view! {
        <nav aria-label="Provider categories">
            <ul class="inline-flex gap-1 rounded-lg bg-slate-200/70 p-1">
                {tabs
                    .map(|(category, label, href)| {
                        let current = move || (selected.get() == category).then_some("page");
                        view! {
                            <li>
                                <a href=href data-category=category.map(|c| c.id()).unwrap_or_default() class=TAB_CLASS aria-current=current>
                                    {label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
