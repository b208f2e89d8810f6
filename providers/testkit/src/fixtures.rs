//! The files of `tests/fixtures/<provider>/` at the repository root.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The bytes of one fixture file, included at compile time:
/// `fixture!("harbor", "push-tag.json")`. Expands in the calling crate, so
/// the path is taken from its `providers/<name>/` manifest directory.
#[macro_export]
macro_rules! fixture {
    ($provider:literal, $name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/",
            $provider,
            "/",
            $name
        ))
    };
}

/// The workspace root: the nearest directory with a `Cargo.lock` above the
/// package cargo runs (`CARGO_MANIFEST_DIR` at run time: a test binary may
/// be reused from a build of another checkout sharing the target directory,
/// whose compile-time path may be gone), or above this crate. The test
/// harness finds the repository's files through it too.
pub fn workspace_root() -> PathBuf {
    let compiled = Path::new(env!("CARGO_MANIFEST_DIR"));
    let running = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    running
        .as_deref()
        .into_iter()
        .chain([compiled])
        .find_map(|dir| {
            dir.ancestors()
                .find(|candidate| candidate.join("Cargo.lock").is_file())
        })
        .map_or_else(|| compiled.join("../.."), Path::to_path_buf)
}

/// One provider's fixture folder, for the checks that a crate's table of
/// fixtures and the folder's README keep up with the files.
#[derive(Debug, Clone)]
pub struct FixtureDir {
    path: PathBuf,
}

impl FixtureDir {
    /// `tests/fixtures/<provider>/` of this workspace.
    pub fn of(provider: &str) -> Self {
        let path = workspace_root().join("tests/fixtures").join(provider);
        Self { path }
    }

    /// The names of the fixture files (every file but README.md).
    pub fn file_names(&self) -> BTreeSet<String> {
        std::fs::read_dir(&self.path)
            .unwrap_or_else(|error| panic!("{}: {error}", self.path.display()))
            .map(|entry| {
                entry
                    .expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name != "README.md")
            .collect()
    }

    /// Fails unless `tested` names exactly the files of the folder: a file
    /// added without a line in the crate's table fails here, and so does a
    /// line without a file.
    pub fn assert_table_covers_every_file<'a>(&self, tested: impl IntoIterator<Item = &'a str>) {
        let tested: BTreeSet<String> = tested.into_iter().map(str::to_owned).collect();
        assert_eq!(self.file_names(), tested, "{}", self.path.display());
    }

    /// The folder's README.md.
    pub fn readme(&self) -> String {
        let path = self.path.join("README.md");
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    /// The README's table row of one fixture: the row whose first cell
    /// names it (alone, or in a comma-separated list of files alike); fails
    /// when there is none, so that a reader can always find what a fixture
    /// is.
    pub fn readme_row(&self, name: &str) -> String {
        self.readme()
            .lines()
            .find(|line| {
                line.strip_prefix('|')
                    .and_then(|row| row.split('|').next())
                    .is_some_and(|first| first.split(',').any(|file| file.trim() == name))
            })
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("README.md has no row for {name}"))
    }

    /// Fails unless the README has a row for each of `names`.
    pub fn assert_readme_describes<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            self.readme_row(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_read_and_checked() {
        let harbor = FixtureDir::of("harbor");
        let names = harbor.file_names();
        assert!(names.contains("push-tag.json"), "{names:?}");
        assert!(!names.contains("README.md"));
        harbor.assert_table_covers_every_file(names.iter().map(String::as_str));
        harbor.assert_readme_describes(names.iter().map(String::as_str));
        assert_eq!(
            &fixture!("harbor", "not-json.txt")[..],
            std::fs::read(harbor.path.join("not-json.txt")).expect("readable")
        );
    }

    #[test]
    #[should_panic(expected = "harbor")]
    fn a_missing_line_fails() {
        FixtureDir::of("harbor").assert_table_covers_every_file(["push-tag.json"]);
    }

    #[test]
    #[should_panic(expected = "README.md has no row for no-such-file.json")]
    fn a_missing_row_fails() {
        FixtureDir::of("harbor").readme_row("no-such-file.json");
    }
}
