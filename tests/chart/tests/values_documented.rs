//! The chart's values are documented twice, by hand: a comment above each key
//! of values.yaml, and a row per key in the README's table. These tests keep
//! both complete and the README free of keys that no longer exist.

use std::collections::BTreeSet;

use kargo_webhook_testenv::helm::chart_dir;
use serde_yaml::Value;

fn read(file: &str) -> String {
    std::fs::read_to_string(chart_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every key path of `value`: `(path, is_leaf)`. A leaf is anything but a
/// non-empty mapping (scalars, lists, `{}`).
fn key_paths(prefix: &str, value: &Value, paths: &mut Vec<(String, bool)>) {
    let Value::Mapping(mapping) = value else {
        return;
    };
    for (key, child) in mapping {
        let key = key.as_str().expect("string keys");
        let path = if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        };
        let leaf = !matches!(child, Value::Mapping(m) if !m.is_empty());
        paths.push((path.clone(), leaf));
        key_paths(&path, child, paths);
    }
}

fn values_paths() -> Vec<(String, bool)> {
    let values: Value = serde_yaml::from_str(&read("values.yaml")).expect("values.yaml is YAML");
    let mut paths = Vec::new();
    key_paths("", &values, &mut paths);
    paths
}

/// The first cell of each row of the README's values table: `| \`key\` |`.
fn readme_keys() -> BTreeSet<String> {
    let readme = read("README.md");
    let table = readme
        .split_once("## Values")
        .expect("README.md has a `## Values` section")
        .1;
    table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(key, _)| key.to_owned())
        .collect()
}

/// `a.b.c`, `a.b`, `a`.
fn self_and_ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| p.rsplit_once('.').map(|(parent, _)| parent))
}

#[test]
fn every_value_has_a_row_in_the_readme() {
    let documented = readme_keys();
    let missing: Vec<String> = values_paths()
        .into_iter()
        .filter(|(_, leaf)| *leaf)
        .map(|(path, _)| path)
        // An object documented as a whole (e.g. `resources`) covers its keys.
        .filter(|path| !self_and_ancestors(path).any(|p| documented.contains(p)))
        .collect();
    assert!(
        missing.is_empty(),
        "values without a row in the README's table: {missing:?}"
    );
}

#[test]
fn every_readme_row_is_a_value() {
    let paths: BTreeSet<String> = values_paths().into_iter().map(|(path, _)| path).collect();
    let stale: Vec<String> = readme_keys()
        .into_iter()
        .filter(|key| !paths.contains(key))
        .collect();
    assert!(
        stale.is_empty(),
        "README rows for keys values.yaml lacks: {stale:?}"
    );
}

/// Every key with a value of its own (not a section of further keys) has a
/// comment line right above it, unless it sits inside an object whose key
/// has one (e.g. `resources.requests.cpu`).
#[test]
fn every_value_has_a_comment_in_values_yaml() {
    let text = read("values.yaml");
    let lines: Vec<&str> = text.lines().collect();
    // (indent, commented) of the keys enclosing the current line.
    let mut enclosing: Vec<(usize, bool)> = Vec::new();
    let mut uncommented = Vec::new();
    for (number, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('-') {
            continue;
        }
        let Some((key, rest)) = trimmed.split_once(':') else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        enclosing.retain(|(outer, _)| *outer < indent);
        let commented = lines[..number]
            .iter()
            .rev()
            .find(|previous| !previous.trim().is_empty())
            .is_some_and(|previous| previous.trim_start().starts_with('#'));
        let has_own_value = !rest.trim().is_empty();
        let inherited = enclosing.iter().any(|(_, documented)| *documented);
        if has_own_value && !commented && !inherited {
            uncommented.push(format!("line {}: {key}", number + 1));
        }
        enclosing.push((indent, commented));
    }
    assert!(
        uncommented.is_empty(),
        "values.yaml keys without a comment: {uncommented:?}"
    );
}
