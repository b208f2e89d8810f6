//! Finds the receiver of a request. Only a path exactly as published
//! matches (the table is keyed by the published spelling): no
//! percent-decoding, no dot segments, no doubled or trailing slashes, and
//! no query string, even an empty one.

use std::sync::Arc;

use crate::receivers::{Receiver, ReceiverTable};

/// The live receiver at a request's path and query, if any.
pub fn lookup<'t>(
    table: &'t ReceiverTable,
    path: &str,
    query: Option<&str>,
) -> Option<&'t Arc<Receiver>> {
    if query.is_some() {
        return None;
    }
    table.lookup(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::team_a_receivers;

    #[test]
    fn only_the_published_spelling_matches() {
        let table = ReceiverTable::build(
            vec![team_a_receivers(serde_json::json!([
                {"name": "r", "harbor": {"secretRef": {"name": "s"}}},
            ]))],
            None,
        );
        let receiver = table.owners()[0].results[0].state.as_ref().expect("live");
        let path = receiver.path.as_str();
        let hash = path.trim_start_matches("/harbor/");
        assert!(lookup(&table, path, None).is_some());
        assert!(lookup(&table, path, Some("")).is_none());
        assert!(lookup(&table, path, Some("a=b")).is_none());
        for other in [
            format!("{path}/"),
            format!("/{path}"),
            format!("/harbor//{hash}"),
            format!("/harbor/{}", hash.to_uppercase()),
            format!("/harbor%2F{hash}"),
            format!("/x/..{path}"),
            format!("/harbor/./{hash}"),
            format!("{path}/extra"),
            format!("/quay/{hash}"),
            "/harbor/".to_owned(),
            "/".to_owned(),
            String::new(),
        ] {
            assert!(lookup(&table, &other, None).is_none(), "{other}");
        }
    }
}
