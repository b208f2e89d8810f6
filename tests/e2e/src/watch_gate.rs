//! A gate on a gateway's watch streams: while it is held, the gateway's
//! client passes no watch event on (the events wait in the connection), so
//! the gateway's view of the cluster stands still while its other requests
//! (patches, status) still reach the real API server. Releasing it lets
//! every held event through, in order. This is how a test deletes a
//! Warehouse "between match and patch": the index still lists it, the API
//! server no longer has it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body as HttpBody, Frame};
use kube::client::{Body, ClientBuilder, DynBody};
use tower_layer::Layer;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Holds and releases the watch streams of the clients it made. Cheap to
/// clone; all clones are the same gate.
#[derive(Debug, Clone, Default)]
pub struct WatchGate {
    state: Arc<Mutex<GateState>>,
}

#[derive(Debug, Default)]
struct GateState {
    held: bool,
    /// Watch bodies waiting for the release.
    waiting: Vec<Waker>,
}

impl WatchGate {
    /// A gate that lets everything through until [`hold`](Self::hold).
    pub fn new() -> Self {
        Self::default()
    }

    /// A client of `config` whose watch streams this gate controls. Call
    /// it inside the runtime that will use the client.
    ///
    /// # Panics
    /// If the client cannot be made.
    pub fn client(&self, config: kube::Config) -> kube::Client {
        ClientBuilder::try_from(config)
            .unwrap_or_else(|e| panic!("gated client: {e}"))
            .with_layer(self)
            .build()
    }

    /// From now on, no watch event reaches the client.
    pub fn hold(&self) {
        self.lock().held = true;
    }

    /// Lets the held events and every later one through.
    pub fn release(&self) {
        let waiting = {
            let mut state = self.lock();
            state.held = false;
            std::mem::take(&mut state.waiting)
        };
        for waker in waiting {
            waker.wake();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True (and `waker` registered for the release) while held.
    fn is_held(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if state.held {
            state.waiting.push(waker.clone());
        }
        state.held
    }
}

impl<S> Layer<S> for WatchGate {
    type Service = GatedService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GatedService {
            inner,
            gate: self.clone(),
        }
    }
}

/// The client's service stack with the gate on watch responses.
#[derive(Debug, Clone)]
pub struct GatedService<S> {
    inner: S,
    gate: WatchGate,
}

impl<S> Service<Request<Body>> for GatedService<S>
where
    S: Service<Request<Body>, Response = Response<Box<DynBody>>>,
    S::Future: Send + 'static,
{
    type Response = Response<GatedBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let gate = is_watch(request.uri()).then(|| self.gate.clone());
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|inner| GatedBody { inner, gate }))
        })
    }
}

/// A watch request: `?watch=true` (or `1`) in the query.
fn is_watch(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair == "watch=true" || pair == "watch=1")
    })
}

/// A response body that stands still while its gate is held (watch
/// responses only; others have no gate).
pub struct GatedBody {
    inner: Box<DynBody>,
    gate: Option<WatchGate>,
}

impl std::fmt::Debug for GatedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatedBody")
            .field("gated", &self.gate.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpBody for GatedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self
            .gate
            .as_ref()
            .is_some_and(|gate| gate.is_held(cx.waker()))
        {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::is_watch;

    #[test]
    fn only_watch_requests_are_gated() {
        let uri = |s: &str| s.parse::<http::Uri>().expect("uri");
        assert!(is_watch(&uri(
            "/apis/kargo.akuity.io/v1alpha1/warehouses?&watch=true&timeoutSeconds=290"
        )));
        assert!(is_watch(&uri("/api/v1/secrets?watch=1")));
        assert!(!is_watch(&uri("/apis/kargo.akuity.io/v1alpha1/warehouses")));
        assert!(!is_watch(&uri(
            "/api/v1/secrets?labelSelector=watch%3Dtrue"
        )));
    }
}
