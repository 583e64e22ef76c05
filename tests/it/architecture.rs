//! The layering, read from the source: no cycle between top-level modules, and the doors (server
//! functions, the REST API, the gateway) never name the database, the keyring or the vault, so a
//! door cannot step around a service. The README's architecture section names each rule's home.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that answer requests and must go through the services.
const DOORS: &[&str] = &["api", "rest", "gateway"];
/// What only the services may hold.
const BEHIND_THE_SERVICES: &[&str] = &["Db", "Keyring", "MasterKeys"];

fn source_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/keys/health.rs` → `keys`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The code of a file without its comments (doc links name modules without depending on them).
fn code(file: &Path) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

/// The top-level modules a file's code names: `crate::x`, and each `x` of `crate::{x, y::z}`.
fn named_modules(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let heads: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())]
                .split(',')
                .filter_map(|piece| words(piece).next())
                .collect(),
            None => words(rest).next().into_iter().collect(),
        };
        named.extend(
            heads
                .into_iter()
                .filter(|head| modules.contains(*head))
                .map(str::to_owned),
        );
    }
    named
}

struct Tree {
    /// Top-level module → the top-level modules its code names.
    imports: BTreeMap<String, BTreeSet<String>>,
    files: Vec<(String, PathBuf)>,
}

fn read_tree() -> Tree {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|file| module_of(&src, file))
        .filter(|module| module != "lib" && module != "main")
        .collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut tagged = Vec::new();
    for file in files {
        let module = module_of(&src, &file);
        if !modules.contains(&module) {
            continue;
        }
        let mut named = named_modules(&code(&file), &modules);
        named.remove(&module);
        imports.entry(module.clone()).or_default().extend(named);
        tagged.push((module, file));
    }
    Tree {
        imports,
        files: tagged,
    }
}

/// A cycle through `start`, as the path that closes it, if there is one.
fn cycle_through(
    imports: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let last = path.last().unwrap().clone();
    for next in imports.get(&last).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(cycle) = cycle_through(imports, start, path) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let tree = read_tree();
    assert!(
        tree.imports.len() > 10,
        "the source tree was read: {:?}",
        tree.imports.keys()
    );
    for module in tree.imports.keys() {
        if let Some(cycle) = cycle_through(&tree.imports, module, &mut vec![module.clone()]) {
            panic!("module cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cycle_check_sees_grouped_imports_and_ignores_comments() {
    let modules: BTreeSet<String> = ["keys", "store", "vault"].map(String::from).into();
    let named = named_modules(
        "use crate::{keys::KeyService, store::Db};\nlet x = crate::vault::seal();",
        &modules,
    );
    assert_eq!(named, modules);
    let mut imports = BTreeMap::new();
    imports.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    imports.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        cycle_through(&imports, "a", &mut vec!["a".to_owned()]),
        Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
    );
}

#[test]
fn doors_never_name_the_database_the_keyring_or_the_vault() {
    let tree = read_tree();
    let mut found = Vec::new();
    for (module, file) in &tree.files {
        if !DOORS.contains(&module.as_str()) {
            continue;
        }
        let code = code(file);
        for word in words(&code).filter(|word| BEHIND_THE_SERVICES.contains(word)) {
            found.push(format!("{} names {word}", file.display()));
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
