//! Authentication: Quay presents nothing, so the receiver's URL is the
//! credential and every request that reaches it passes the first step.

use kargo_webhook_provider_testkit::url_only;
use kargo_webhook_quay::{Quay, SECRET_KEY};

use crate::support::*;

#[test]
fn any_head_passes_without_a_body_check() {
    url_only::assert_any_head_passes_without_a_body_check(
        &Quay,
        &credentials(SECRET),
        fixture!("push.json"),
    );
}

#[test]
fn refusals_are_always_about_the_body() {
    url_only::assert_refusals_are_always_about_the_body(&Quay, &credentials(SECRET));
}

#[test]
fn the_secret_must_hold_a_non_empty_value() {
    assert_eq!(SECRET_KEY, "secret");
    url_only::assert_the_secret_must_hold_a_non_empty_value(&Quay, SECRET_KEY);
}

#[test]
fn any_non_empty_value_is_usable_and_none_is_kept() {
    url_only::assert_any_non_empty_value_is_usable_and_none_is_kept(&Quay, SECRET_KEY);
    let credentials = credentials(SECRET);
    assert!(credentials.signing_key(SECRET_KEY).is_none());
}
