//! The webhook handler: route, limit, authenticate and parse through the
//! provider, refresh, answer. Every request path goes through here, so the
//! gateway alone decides what is a receiver URL.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use kargo_webhook_provider::{Delivery, HeaderSource};
use tokio::time::Instant;

use super::idle_watch::ConnectionActivity;
use super::route;
use crate::dispatch::{self, Answer};
use crate::index::SharedIndex;
use crate::metrics::{DeliveryLabels, Metrics, ProviderLabels};
use crate::receivers::Receiver;
use crate::receivers::builder::SharedTable;
use crate::refresher::Refresher;

/// What the webhook handler needs.
#[derive(Debug, Clone)]
pub struct WebhookState {
    /// Receivers by path.
    pub table: SharedTable,
    /// Warehouses by repository.
    pub index: SharedIndex,
    /// Sends refresh patches.
    pub refresher: Refresher,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Default body limit.
    pub body_limit: usize,
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
    let _in_delivery = request
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
    respond(&answer)
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
    if let Err(retry_after) = receiver.limiter.try_acquire() {
        return Answer::RateLimited { retry_after };
    }
    let limit = receiver.provider.body_limit().unwrap_or(state.body_limit);
    let body = match read_body(request, payload, limit, state.body_read_timeout).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let headers = Headers(request.headers());
    let delivery = Delivery::new(request.method().as_str(), &headers, &body);
    match receiver.provider.handle(&delivery, &receiver.credentials) {
        Err(error) => Answer::Refused(error),
        Ok(outcome) => {
            let deadline = arrived + state.answer_deadline;
            dispatch::act(outcome, receiver, &state.index, &state.refresher, deadline).await
        }
    }
}

/// Reads the body up to `limit` bytes, whether it comes with a
/// `Content-Length` or chunked.
async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, Answer> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(Answer::PayloadTooLarge);
    }
    let read = async {
        let mut body = Vec::with_capacity(initial_capacity(declared));
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| Answer::BadBody)?;
            if body.len() + chunk.len() > limit {
                return Err(Answer::PayloadTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(Answer::BodyTimeout))
}

/// The buffer to start a body in. A declared length is only a promise:
/// reserving all of it up front would let a client that sends a head
/// with `Content-Length` at the limit, and then nothing, tie up the whole
/// body limit per connection. Larger bodies grow the buffer as they arrive.
fn initial_capacity(declared: Option<u64>) -> usize {
    const DEFAULT: usize = 8 * 1024;
    const MOST: u64 = 64 * 1024;
    declared.map_or(DEFAULT, |length| length.min(MOST) as usize)
}

fn respond(answer: &Answer) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(answer.status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if let Some(retry_after) = answer.retry_after() {
        // Whole seconds, rounded up: "0" would invite an immediate retry.
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        response.insert_header((header::RETRY_AFTER, seconds.max(1).to_string()));
    }
    if matches!(answer, Answer::MethodNotAllowed) {
        response.insert_header((header::ALLOW, "POST"));
    }
    response
        .content_type(header::ContentType::json())
        .body(answer.body())
}

/// One line per delivery: the receiver by owner and name, never its token.
fn log(receiver: Option<&Receiver>, answer: &Answer, elapsed: Duration) {
    let status = answer.status();
    let outcome = answer.outcome();
    let millis = elapsed.as_secs_f64() * 1000.0;
    let Some(receiver) = receiver else {
        tracing::debug!(status, outcome, millis, "delivery to an unknown receiver");
        return;
    };
    let name = receiver.log_name();
    let provider = receiver.provider.name();
    match answer {
        Answer::Refreshed { warehouses, gone } => tracing::info!(
            receiver = name,
            provider,
            status,
            outcome,
            millis,
            refreshed = warehouses.len(),
            gone = gone.len(),
            "delivery"
        ),
        Answer::Unavailable { reason } => {
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
    fn a_declared_length_reserves_at_most_64_kib() {
        assert_eq!(initial_capacity(None), 8 * 1024);
        assert_eq!(initial_capacity(Some(100)), 100);
        assert_eq!(initial_capacity(Some(2 * 1024 * 1024)), 64 * 1024);
        assert_eq!(initial_capacity(Some(u64::MAX)), 64 * 1024);
    }
}
