//! The answer to a webhook request: its status, `Retry-After`, and JSON
//! body. The delivery flow reports what happened (`dispatch::Dispatched`);
//! this module alone decides how the sender is told.

use std::borrow::Cow;
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder};
use kargo_webhook_provider::{ProviderError, Unauthenticated};

use crate::dispatch::{Dispatched, Unconfirmed};
use crate::kargo::{PromotionId, WarehouseId};
use crate::ratelimit::Limited;

/// How long a client should wait before sending again after a 503.
pub const RETRY_AFTER_UNAVAILABLE: Duration = Duration::from_secs(5);

/// How long a client should wait after a 503 for lack of body memory: the
/// bodies that hold it are gone within a second.
pub const RETRY_AFTER_OVERLOADED: Duration = Duration::from_secs(1);

/// The gateway's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// No receiver at this URL (404).
    NotFound,
    /// Only POST delivers (405).
    MethodNotAllowed,
    /// The body exceeds the limit (413).
    PayloadTooLarge,
    /// The body did not arrive in time (408).
    BodyTimeout,
    /// The body could not be read (400).
    BadBody,
    /// One of the receiver's limits is exhausted (429).
    RateLimited {
        /// When to try again.
        retry_after: Duration,
        /// Which limit: authenticated deliveries, or failed attempts.
        limit: Limited,
    },
    /// The sender was not authenticated (401); no body was parsed.
    Unauthenticated(Unauthenticated),
    /// The provider refused the body (400, 415).
    Refused(ProviderError),
    /// The memory budget for request bodies had no room (503).
    Overloaded,
    /// The delivery flow ran: ignored or refreshed (200), or not confirmed
    /// (503, the refresh goes on).
    Delivered(Dispatched),
}

impl From<Dispatched> for Answer {
    fn from(dispatched: Dispatched) -> Self {
        Self::Delivered(dispatched)
    }
}

/// The one-line reason of a 503 for unconfirmed refreshes.
pub fn unconfirmed_reason(why: Unconfirmed) -> &'static str {
    match why {
        Unconfirmed::Relisting => {
            "the gateway is re-reading Warehouses from Kubernetes; the refresh goes on, retry later"
        }
        Unconfirmed::Deadline => {
            "refresh not confirmed before the answer deadline; it goes on, retry later"
        }
        Unconfirmed::KubernetesApi => {
            "Kubernetes API unavailable; the refresh goes on, retry later"
        }
    }
}

/// The status of a provider's refusal of a body: the SDK names the kind,
/// this is the one place it becomes an HTTP status.
fn refused_status(error: &ProviderError) -> StatusCode {
    match error {
        ProviderError::MalformedBody(_) => StatusCode::BAD_REQUEST,
        ProviderError::UnsupportedContent(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
    }
}

impl Answer {
    /// The HTTP status code.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BadBody => StatusCode::BAD_REQUEST,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Refused(error) => refused_status(error),
            Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Delivered(
                Dispatched::Ignored(_)
                | Dispatched::Pinged
                | Dispatched::Refreshed { .. }
                | Dispatched::PromotionsRefreshed { .. },
            ) => StatusCode::OK,
            Self::Delivered(Dispatched::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The metrics and log label of the outcome.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::BodyTimeout => "body_timeout",
            Self::BadBody => "bad_body",
            Self::RateLimited {
                limit: Limited::Deliveries,
                ..
            } => "rate_limited",
            Self::RateLimited {
                limit: Limited::FailedAttempts,
                ..
            } => "failed_attempts_limited",
            Self::Unauthenticated(refusal) => refusal.kind(),
            Self::Refused(error) => error.kind(),
            Self::Overloaded => "overloaded",
            Self::Delivered(Dispatched::Ignored(_)) => "ignored",
            Self::Delivered(Dispatched::Pinged) => "ping",
            Self::Delivered(Dispatched::Refreshed { .. }) => "refreshed",
            Self::Delivered(Dispatched::PromotionsRefreshed { .. }) => "refreshed_promotions",
            Self::Delivered(Dispatched::Unavailable(_)) => "unavailable",
        }
    }

    /// When to retry, for answers that carry `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::Delivered(Dispatched::Unavailable(_)) => Some(RETRY_AFTER_UNAVAILABLE),
            Self::Overloaded => Some(RETRY_AFTER_OVERLOADED),
            _ => None,
        }
    }

    /// The JSON body: `{"error": ...}` for refusals, `{"msg": ...}` otherwise.
    /// Nothing from the request is echoed. The most common answer, a push
    /// that concerns no Warehouse, is a constant.
    pub fn body(&self) -> Cow<'static, [u8]> {
        match self {
            Self::Delivered(Dispatched::Refreshed {
                warehouses,
                gone,
                named,
            }) if warehouses.is_empty() && gone.is_empty() => Cow::Borrowed(if *named {
                REFRESHED_NONE_NAMED
            } else {
                REFRESHED_NONE
            }),
            _ => Cow::Owned(self.encoded_body()),
        }
    }

    /// The body encoded directly from small structs, without building a JSON
    /// value first.
    fn encoded_body(&self) -> Vec<u8> {
        match self {
            Self::NotFound => error_body("not found"),
            Self::MethodNotAllowed => {
                error_body("method not allowed: webhooks are delivered with POST")
            }
            Self::PayloadTooLarge => error_body("request body too large"),
            Self::BodyTimeout => error_body("request body not received in time"),
            Self::BadBody => error_body("request body could not be read"),
            Self::RateLimited {
                limit: Limited::Deliveries,
                ..
            } => error_body("too many deliveries for this receiver; retry later"),
            Self::RateLimited {
                limit: Limited::FailedAttempts,
                ..
            } => error_body("too many failed attempts for this receiver; retry later"),
            Self::Unauthenticated(refusal) => error_body(refusal.reason()),
            Self::Refused(error) => error_body(error.reason()),
            Self::Overloaded => error_body("too many request bodies held at once; retry later"),
            Self::Delivered(Dispatched::Ignored(reason)) => encode(&MsgBody {
                msg: format!("ignored: {reason}"),
            }),
            Self::Delivered(Dispatched::Pinged) => encode(&MsgBody {
                msg: PING_MESSAGE.to_owned(),
            }),
            Self::Delivered(Dispatched::PromotionsRefreshed { promotions, named }) => {
                let msg = format!("refreshed {} promotion(s)", promotions.len());
                if *named {
                    encode(&PromotionsBody {
                        msg,
                        promotions: Names(promotions),
                    })
                } else {
                    encode(&MsgBody { msg })
                }
            }
            Self::Delivered(Dispatched::Refreshed {
                warehouses,
                gone,
                named: true,
            }) => encode(&RefreshedBody {
                gone: (!gone.is_empty()).then_some(Names(gone)),
                msg: refreshed_message(warehouses, &[]),
                warehouses: Names(warehouses),
            }),
            Self::Delivered(Dispatched::Refreshed {
                warehouses,
                gone,
                named: false,
            }) => encode(&MsgBody {
                msg: refreshed_message(warehouses, gone),
            }),
            Self::Delivered(Dispatched::Unavailable(why)) => error_body(unconfirmed_reason(*why)),
        }
    }
}

/// [`Answer::body`] of a push that refreshed nothing, to a project receiver.
const REFRESHED_NONE_NAMED: &[u8] = br#"{"msg":"refreshed 0 warehouse(s)","warehouses":[]}"#;
/// The same to a cluster receiver (no names).
const REFRESHED_NONE: &[u8] = br#"{"msg":"refreshed 0 warehouse(s)"}"#;

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

#[derive(serde::Serialize)]
struct MsgBody {
    msg: String,
}

/// Keys in alphabetical order, as the answers have always been written.
#[derive(serde::Serialize)]
struct RefreshedBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    gone: Option<Names<'a>>,
    msg: String,
    warehouses: Names<'a>,
}

/// The answer to a ping, as Kargo words it.
const PING_MESSAGE: &str = "ping event received, webhook is configured correctly";

#[derive(serde::Serialize)]
struct PromotionsBody<'a> {
    msg: String,
    promotions: Names<'a, PromotionId>,
}

/// Objects as `namespace/name` strings.
struct Names<'a, Id = WarehouseId>(&'a [Id]);

impl<Id: std::fmt::Display> serde::Serialize for Names<'_, Id> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

/// `refreshed N warehouse(s)`, and how many matched but no longer exist
/// when they are not listed by name.
fn refreshed_message(warehouses: &[WarehouseId], unlisted_gone: &[WarehouseId]) -> String {
    match unlisted_gone.len() {
        0 => format!("refreshed {} warehouse(s)", warehouses.len()),
        gone => format!(
            "refreshed {} warehouse(s); {gone} matched warehouse(s) no longer exist",
            warehouses.len()
        ),
    }
}

fn error_body(reason: &str) -> Vec<u8> {
    encode(&ErrorBody { error: reason })
}

fn encode(body: &impl serde::Serialize) -> Vec<u8> {
    // Serializing these structs to memory cannot fail (string keys only).
    serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())
}

impl Answer {
    /// True for the answers to a sender that was not authenticated: its
    /// connection is closed after the answer instead of draining whatever
    /// body it is still sending.
    pub fn ends_connection(&self) -> bool {
        matches!(
            self,
            Self::Unauthenticated(_)
                | Self::RateLimited {
                    limit: Limited::FailedAttempts,
                    ..
                }
        )
    }

    /// The HTTP response: status, `Retry-After`, `Allow`, the JSON body.
    pub fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        if let Some(retry_after) = self.retry_after() {
            // Whole seconds, rounded up: "0" would invite an immediate retry.
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            response.insert_header((header::RETRY_AFTER, seconds.max(1).to_string()));
        }
        if matches!(self, Self::MethodNotAllowed) {
            response.insert_header((header::ALLOW, "POST"));
        }
        if self.ends_connection() {
            response.force_close();
        }
        // A static header value: `ContentType::json()` would copy it.
        response.insert_header((
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        ));
        match self.body() {
            Cow::Borrowed(body) => response.body(body),
            Cow::Owned(body) => response.body(body),
        }
    }
}

impl Responder for Answer {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        self.response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(answer: &Answer) -> serde_json::Value {
        serde_json::from_slice(&answer.body()).expect("a JSON body")
    }

    #[test]
    fn the_constant_answers_are_what_encoding_gives() {
        for named in [true, false] {
            let answer = Answer::from(Dispatched::Refreshed {
                warehouses: vec![],
                gone: vec![],
                named,
            });
            assert!(matches!(answer.body(), Cow::Borrowed(_)));
            assert_eq!(*answer.body(), *answer.encoded_body(), "named: {named}");
        }
    }

    #[test]
    fn answers_map_to_statuses_and_bodies() {
        let refreshed = Answer::from(Dispatched::Refreshed {
            warehouses: vec![WarehouseId::new("a", "w1"), WarehouseId::new("a", "w2")],
            gone: vec![],
            named: true,
        });
        assert_eq!(refreshed.status(), StatusCode::OK);
        assert_eq!(
            body(&refreshed),
            serde_json::json!({"msg": "refreshed 2 warehouse(s)", "warehouses": ["a/w1", "a/w2"]})
        );
        let with_gone = Answer::from(Dispatched::Refreshed {
            warehouses: vec![],
            gone: vec![WarehouseId::new("a", "w3")],
            named: true,
        });
        assert_eq!(body(&with_gone)["gone"], serde_json::json!(["a/w3"]));
        assert_eq!(body(&with_gone)["warehouses"], serde_json::json!([]));
        assert_eq!(body(&refreshed).get("gone"), None);
        assert_eq!(
            String::from_utf8(with_gone.body().into_owned()).expect("UTF-8"),
            r#"{"gone":["a/w3"],"msg":"refreshed 0 warehouse(s)","warehouses":[]}"#
        );
        assert_eq!(
            body(&Answer::from(Dispatched::Ignored("x"))),
            serde_json::json!({"msg": "ignored: x"})
        );
        assert_eq!(Answer::NotFound.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            Answer::MethodNotAllowed.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            Answer::PayloadTooLarge.status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        for (limit, outcome) in [
            (Limited::Deliveries, "rate_limited"),
            (Limited::FailedAttempts, "failed_attempts_limited"),
        ] {
            let limited = Answer::RateLimited {
                retry_after: Duration::from_secs(2),
                limit,
            };
            assert_eq!(
                (limited.status(), limited.retry_after(), limited.outcome()),
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(Duration::from_secs(2)),
                    outcome
                )
            );
        }
        assert_eq!(
            (
                Answer::Overloaded.status(),
                Answer::Overloaded.retry_after()
            ),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(RETRY_AFTER_OVERLOADED)
            )
        );
        for why in [
            Unconfirmed::Relisting,
            Unconfirmed::Deadline,
            Unconfirmed::KubernetesApi,
        ] {
            let unavailable = Answer::from(Dispatched::Unavailable(why));
            assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(unavailable.retry_after(), Some(RETRY_AFTER_UNAVAILABLE));
            assert_eq!(
                body(&unavailable),
                serde_json::json!({"error": unconfirmed_reason(why)})
            );
        }
        let refused = Answer::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"));
        assert_eq!(
            (refused.status(), body(&refused), refused.outcome()),
            (
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": "unauthorized"}),
                "wrong_credentials"
            )
        );
        let refused = Answer::Refused(ProviderError::MalformedBody("invalid request body"));
        assert_eq!(
            (refused.status(), body(&refused)),
            (
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "invalid request body"})
            )
        );
    }

    /// A cluster receiver's sender learns how many Warehouses, never which:
    /// they belong to every project.
    #[test]
    fn a_cluster_receivers_answer_counts_without_names() {
        let answer = Answer::from(Dispatched::Refreshed {
            warehouses: vec![
                WarehouseId::new("team-b", "w1"),
                WarehouseId::new("team-c", "w2"),
            ],
            gone: vec![WarehouseId::new("team-d", "w3")],
            named: false,
        });
        assert_eq!(
            String::from_utf8(answer.body().into_owned()).expect("UTF-8"),
            r#"{"msg":"refreshed 2 warehouse(s); 1 matched warehouse(s) no longer exist"}"#
        );
        let answer = Answer::from(Dispatched::Refreshed {
            warehouses: vec![WarehouseId::new("team-b", "w1")],
            gone: vec![],
            named: false,
        });
        assert_eq!(
            body(&answer),
            serde_json::json!({"msg": "refreshed 1 warehouse(s)"})
        );
    }

    #[test]
    fn only_refusals_of_the_sender_end_the_connection() {
        assert!(
            Answer::Unauthenticated(Unauthenticated::WrongCredentials("unauthorized"))
                .ends_connection()
        );
        assert!(
            Answer::RateLimited {
                retry_after: Duration::from_secs(1),
                limit: Limited::FailedAttempts,
            }
            .ends_connection()
        );
        assert!(
            !Answer::RateLimited {
                retry_after: Duration::from_secs(1),
                limit: Limited::Deliveries,
            }
            .ends_connection()
        );
        assert!(!Answer::NotFound.ends_connection());
    }
}
