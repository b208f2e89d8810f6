//! Which of Harbor's two payload formats a delivery is in, as far as its
//! `Content-Type` tells.

/// Harbor's payload formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `application/json`: the event's objects are under `event_data`.
    Default,
    /// `application/cloudevents+json`, structured mode: the same objects are
    /// under `data`.
    CloudEvents,
}

/// What the `Content-Type` says about the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentLabel {
    /// One of Harbor's own content types: the format is decided.
    Declared(Format),
    /// No usable label (absent, `text/plain`, `application/octet-stream`,
    /// another JSON type, ...): the body's shape decides, and a body of no
    /// known shape is malformed.
    Unlabelled,
    /// A type that is clearly not a JSON document. Proxies have been known to
    /// mislabel, so the shape is still tried, but a body of no known shape is
    /// refused as unsupported content rather than as malformed.
    Foreign,
}

impl ContentLabel {
    /// Classifies a media type as returned by `Delivery::media_type`
    /// (lowercase, without parameters).
    pub(crate) fn of(media_type: Option<&str>) -> Self {
        match media_type {
            Some("application/json") => Self::Declared(Format::Default),
            Some("application/cloudevents+json") => Self::Declared(Format::CloudEvents),
            Some(other) if is_foreign(other) => Self::Foreign,
            _ => Self::Unlabelled,
        }
    }
}

/// Media types whose bodies are never one JSON event.
fn is_foreign(media_type: &str) -> bool {
    const FOREIGN_TOP_LEVEL: [&str; 6] = [
        "multipart/",
        "image/",
        "audio/",
        "video/",
        "font/",
        "model/",
    ];
    const FOREIGN_EXACT: [&str; 4] = [
        "application/x-www-form-urlencoded",
        "text/html",
        // CloudEvents batch mode is an array of events; Harbor never sends it.
        "application/cloudevents-batch+json",
        "application/x-protobuf",
    ];
    const FOREIGN_SUFFIX: [&str; 4] = ["/xml", "+xml", "+protobuf", "+avro"];
    FOREIGN_TOP_LEVEL
        .iter()
        .any(|prefix| media_type.starts_with(prefix))
        || FOREIGN_EXACT.contains(&media_type)
        || FOREIGN_SUFFIX
            .iter()
            .any(|suffix| media_type.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harbors_own_types_decide_the_format() {
        assert_eq!(
            ContentLabel::of(Some("application/json")),
            ContentLabel::Declared(Format::Default)
        );
        assert_eq!(
            ContentLabel::of(Some("application/cloudevents+json")),
            ContentLabel::Declared(Format::CloudEvents)
        );
    }

    #[test]
    fn unusable_labels_leave_the_shape_to_decide() {
        for media_type in [
            None,
            Some("text/plain"),
            Some("application/octet-stream"),
            Some("text/json"),
            Some("application/vnd.example+json"),
        ] {
            assert_eq!(
                ContentLabel::of(media_type),
                ContentLabel::Unlabelled,
                "{media_type:?}"
            );
        }
    }

    #[test]
    fn non_json_types_are_foreign() {
        for media_type in [
            "application/xml",
            "text/xml",
            "application/atom+xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "image/png",
            "text/html",
            "application/cloudevents-batch+json",
            "application/cloudevents+protobuf",
        ] {
            assert_eq!(
                ContentLabel::of(Some(media_type)),
                ContentLabel::Foreign,
                "{media_type}"
            );
        }
    }
}
