//! The webhook handler: route, authenticate from the head, limit, read the
//! body within its budget, parse through the provider, refresh, answer.
//! Every request path goes through here, so the gateway alone decides what
//! is a receiver URL.
//!
//! The order is what keeps a hostile sender cheap: a sender without the
//! right credentials is refused from the request head (for header schemes)
//! before one byte of its body is read or any memory is reserved for it,
//! with a fixed answer, and its failure counts only against the receiver's
//! failed-attempt limit, never against the senders who have the secret.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use kargo_webhook_provider::{HeaderSource, RequestHead, Unauthenticated};
use tokio::time::Instant;

use super::answer::{Answer, unconfirmed_reason};
use super::body::{self, BodyError, BodyLimits};
use super::body_budget::BodyBudget;
use super::idle_watch::ConnectionActivity;
use super::route;
use crate::dispatch::{self, Dispatched, Targets};
use crate::kargo::WarehouseId;
use crate::metrics::{DeliveryLabels, Metrics, ProviderLabels};
use crate::ratelimit::Limited;
use crate::receivers::Receiver;
use crate::receivers::builder::SharedTable;

/// What the webhook handler needs.
#[derive(Debug, Clone)]
pub struct WebhookState {
    /// Receivers by path.
    pub table: SharedTable,
    /// The indexes and refreshers the delivery flow acts with.
    pub targets: Targets,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Default body limit.
    pub body_limit: usize,
    /// Memory for the bodies held at once, over all connections.
    pub body_budget: BodyBudget,
    /// Time from arrival to answer.
    pub answer_deadline: Duration,
    /// Time allowed for the body.
    pub body_read_timeout: Duration,
}

/// Lets providers read actix's headers through the SDK's view.
struct Headers<'a>(&'a HeaderMap);

impl HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.get(name).map(HeaderValue::as_bytes)
    }
}

/// Registers the handler for every path.
pub fn configure(config: &mut web::ServiceConfig) {
    config.default_service(web::to(deliver));
}

async fn deliver(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<WebhookState>,
) -> HttpResponse {
    let arrived = Instant::now();
    // While this runs, the connection is not idle (see idle_watch).
    let in_delivery = request
        .conn_data::<ConnectionActivity>()
        .map(ConnectionActivity::delivery);
    let receiver = lookup(&request, &state);
    let provider = receiver.as_ref().map_or("none", |r| r.provider.name());
    let answer = match &receiver {
        None => Answer::NotFound,
        Some(receiver) => handle(&request, payload, receiver, &state, arrived).await,
    };
    let elapsed = arrived.elapsed();
    state
        .metrics
        .deliveries
        .get_or_create(&DeliveryLabels {
            provider,
            outcome: answer.outcome(),
        })
        .inc();
    state
        .metrics
        .delivery_duration
        .get_or_create(&ProviderLabels { provider })
        .observe(elapsed.as_secs_f64());
    log(receiver.as_deref(), &answer, elapsed);
    if answer.ends_connection()
        && let Some(in_delivery) = &in_delivery
    {
        in_delivery.end_connection(REFUSED_CONNECTION_GRACE);
    }
    answer.response()
}

fn lookup(request: &HttpRequest, state: &WebhookState) -> Option<Arc<Receiver>> {
    let uri = request.uri();
    route::lookup(&state.table.load(), uri.path(), uri.query()).cloned()
}

async fn handle(
    request: &HttpRequest,
    payload: web::Payload,
    receiver: &Receiver,
    state: &WebhookState,
    arrived: Instant,
) -> Answer {
    if request.method() != actix_web::http::Method::POST {
        return Answer::MethodNotAllowed;
    }
    let headers = Headers(request.headers());
    let head = RequestHead::new(request.method().as_str(), &headers);
    let authenticated = match receiver.provider.authenticate(head, &receiver.credentials) {
        Ok(authenticated) => authenticated,
        Err(refusal) => return failed_attempt(receiver, refusal),
    };
    // A head that proved its sender is limited before its body costs
    // anything; a body-signing sender only once its signature is checked.
    let proven_by_head = !authenticated.checks_body();
    if proven_by_head && let Err(answer) = admit(receiver) {
        return answer;
    }
    let limits = BodyLimits {
        limit: receiver.provider.body_limit().unwrap_or(state.body_limit),
        timeout: state.body_read_timeout,
    };
    let body = match body::read(
        payload,
        declared_length(request),
        limits,
        &state.body_budget,
    )
    .await
    {
        Ok(body) => body,
        Err(error) => return body_answer(error),
    };
    let verdict = {
        let delivery = match authenticated.with_body(body.bytes()) {
            Ok(delivery) => delivery,
            Err(refusal) => return failed_attempt(receiver, refusal),
        };
        if !proven_by_head && let Err(answer) = admit(receiver) {
            return answer;
        }
        receiver.provider.parse(&delivery, &receiver.options)
    };
    // The body's memory goes back to the budget before the refresh is
    // awaited: the outcome owns what it needs.
    drop(body);
    match verdict {
        Err(error) => Answer::Refused(error),
        Ok(outcome) => {
            let deadline = arrived + state.answer_deadline;
            dispatch::act(outcome, receiver, &state.targets, deadline)
                .await
                .into()
        }
    }
}

/// An authenticated delivery, within the receiver's own rate (if set).
fn admit(receiver: &Receiver) -> Result<(), Answer> {
    receiver
        .limiter
        .admit_delivery()
        .map_err(|retry_after| Answer::RateLimited {
            retry_after,
            limit: Limited::Deliveries,
        })
}

/// A failed attempt: 401 while the receiver's failed-attempt limit allows,
/// 429 beyond it. Either way nothing more is read or done for it.
fn failed_attempt(receiver: &Receiver, refusal: Unauthenticated) -> Answer {
    match receiver.limiter.admit_failure() {
        Ok(()) => Answer::Unauthenticated(refusal),
        Err(retry_after) => Answer::RateLimited {
            retry_after,
            limit: Limited::FailedAttempts,
        },
    }
}

/// The request's `Content-Length`, if it has a readable one.
fn declared_length(request: &HttpRequest) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

fn body_answer(error: BodyError) -> Answer {
    match error {
        BodyError::TooLarge => Answer::PayloadTooLarge,
        BodyError::Timeout => Answer::BodyTimeout,
        BodyError::Unreadable => Answer::BadBody,
        BodyError::Overloaded => Answer::Overloaded,
    }
}

/// How long a refused sender's connection stays open after its answer: time
/// for the answer to go out, then it is shut down whatever the sender still
/// sends (actix would drain a chunked body to its end).
const REFUSED_CONNECTION_GRACE: Duration = Duration::from_secs(1);

/// Warehouses as `namespace/name`, comma-separated, for the log (which
/// names them even where the answer gives counts only).
struct Joined<'a>(&'a [WarehouseId]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, warehouse) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{warehouse}")?;
        }
        Ok(())
    }
}

/// One line per delivery: the receiver by owner and name, never its token.
/// Failed attempts beyond the receiver's limit go to debug only, so that a
/// flood of them cannot flood the log (the metrics count every one).
fn log(receiver: Option<&Receiver>, answer: &Answer, elapsed: Duration) {
    let status = answer.status().as_u16();
    let outcome = answer.outcome();
    let millis = elapsed.as_secs_f64() * 1000.0;
    let Some(receiver) = receiver else {
        tracing::debug!(status, outcome, millis, "delivery to an unknown receiver");
        return;
    };
    let name = receiver.log_name();
    let provider = receiver.provider.name();
    match answer {
        Answer::Delivered(Dispatched::Refreshed {
            warehouses, gone, ..
        }) => tracing::info!(
            receiver = name,
            provider,
            status,
            outcome,
            millis,
            refreshed = warehouses.len(),
            gone = gone.len(),
            warehouses = %Joined(warehouses),
            gone_warehouses = %Joined(gone),
            "delivery"
        ),
        Answer::Delivered(Dispatched::Unavailable(why)) => {
            let reason = unconfirmed_reason(*why);
            tracing::warn!(
                receiver = name,
                provider,
                status,
                outcome,
                millis,
                reason,
                "delivery"
            )
        }
        Answer::RateLimited {
            limit: Limited::FailedAttempts,
            ..
        } => tracing::debug!(
            receiver = name,
            provider,
            status,
            outcome,
            millis,
            "delivery"
        ),
        _ => tracing::info!(
            receiver = name,
            provider,
            status,
            outcome,
            millis,
            "delivery"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warehouses_join_for_the_log() {
        let list = [WarehouseId::new("a", "w1"), WarehouseId::new("b", "w2")];
        assert_eq!(Joined(&list).to_string(), "a/w1,b/w2");
        assert_eq!(Joined(&[]).to_string(), "");
    }
}
