//! Test machinery shared by the provider crates: each crate's tests keep
//! their own cases (fixtures, expected repositories, tags and refs); the
//! machinery that runs them lives here once.
//!
//! - [`fixture!`] and [`fixtures::FixtureDir`]: the files of
//!   `tests/fixtures/<provider>/` and the checks that a crate's fixture table
//!   and the folder's README cover every file.
//! - [`delivery`]: credentials from Secret data, and a delivery through both
//!   steps of a provider from a plain header list.
//! - [`signing`]: body signatures as senders compute them.
//! - [`outcomes`]: the refusals every provider shares, and expected pushes.
//! - [`never_panics`]: strategies and configuration for the property that no
//!   input panics.
//! - [`url_only`]: the checks of a provider whose sender cannot sign.
//! - [`dependencies`]: the check that a provider depends on neither kube nor
//!   actix.

pub mod delivery;
pub mod dependencies;
pub mod fixtures;
pub mod never_panics;
pub mod outcomes;
pub mod signing;
pub mod url_only;
