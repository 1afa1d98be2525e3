//! The resumable transports, through `pubsub-axum`: the job page's WebSocket channels, the
//! activity page's SSE stream, the job fragment the job page reloads, and the "cut connections"
//! switch that shows resume at work.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pubsub_axum::Resume;
use serde::Deserialize;
use serde_json::{Number, json};
use tokio_util::sync::CancellationToken;

use super::Id;
use super::api::Body;
use crate::actions::{ActionError, out_of_range};
use crate::jobs::topic_resource;
use crate::state::AppState;
use crate::store::Sample;
use crate::store::model::Job;
use crate::views::jobs as job_views;

/// The longest cut `POST /api/cut` makes.
pub const MAX_CUT: Duration = Duration::from_secs(10);

/// Drops every socket and resumable stream at once and refuses new ones for a while: what a network blip or a
/// redeploy does to a page, on demand.
#[derive(Debug)]
pub struct Cut {
    inner: Mutex<CutState>,
}

#[derive(Debug)]
struct CutState {
    /// The shutdown of the sockets opened since the last cut (a child of the server's).
    generation: CancellationToken,
    /// New sockets are refused (503) until then.
    until: Option<Instant>,
}

impl Cut {
    pub(crate) fn new(shutdown: &CancellationToken) -> Self {
        Cut {
            inner: Mutex::new(CutState {
                generation: shutdown.child_token(),
                until: None,
            }),
        }
    }

    /// The token a new socket closes on, or `None` while a cut refuses new sockets.
    fn admit(&self, shutdown: &CancellationToken) -> Option<CancellationToken> {
        let mut state = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.until.is_some_and(|until| Instant::now() < until) {
            return None;
        }
        state.until = None;
        if state.generation.is_cancelled() {
            state.generation = shutdown.child_token();
        }
        Some(state.generation.clone())
    }

    fn cut(&self, refuse_for: Duration) {
        let mut state = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.generation.cancel();
        state.until = Some(Instant::now() + refuse_for);
    }
}

/// `GET /live/activity`: every resource's job events, resumable (`Last-Event-ID` or
/// `?since=`); 503 during a cut.
pub(super) async fn live_activity(State(state): State<AppState>, resume: Resume) -> Response {
    let Some(generation) = state.cut.admit(&state.shutdown) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "connections are cut").into_response();
    };
    let topics = Sample::RESOURCES
        .iter()
        .map(|(resource, _)| topic_resource(*resource).into_topic())
        .collect();
    state
        .sse
        .clone()
        .shutdown(generation)
        .stream(&*state.broker, topics, &resume)
        .await
        .into_response()
}

/// `GET /socket`: a channel connection (503 during a cut).
pub(super) async fn socket(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let Some(generation) = state.cut.admit(&state.shutdown) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "connections are cut").into_response();
    };
    state
        .channels
        .clone()
        .shutdown(generation)
        .upgrade(ws, state.broker.clone(), ())
}

#[derive(Deserialize)]
pub(super) struct CutRequest {
    ms: Number,
}

/// `POST /api/cut {"ms": n}`: drops every socket and refuses new ones for `n` ms (a whole
/// number up to [`MAX_CUT`], else 422 in the API's words).
pub(super) async fn cut(
    State(state): State<AppState>,
    Body(body): Body<CutRequest>,
) -> Result<Json<serde_json::Value>, ActionError> {
    let max = u64::try_from(MAX_CUT.as_millis()).unwrap_or(u64::MAX);
    let ms = body
        .ms
        .as_u64()
        .filter(|ms| *ms <= max)
        .ok_or_else(|| out_of_range("ms", &body.ms, &max))?;
    state.cut.cut(Duration::from_millis(ms));
    Ok(Json(json!({ "cut_ms": ms })))
}

/// `GET /fragments/jobs/<id>`: the job's live part as the page shows it, and its process.
pub(super) async fn job_fragment(State(state): State<AppState>, Id(id): Id) -> Response {
    match state.store.get::<Job>(id).await {
        Ok(Some(job)) => Json(json!({
            "html": job_views::job(&job),
            "process": job.process_id,
            "status": job.status,
        }))
        .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such job").into_response(),
        Err(error) => {
            tracing::warn!(%error, "job fragment failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "store error").into_response()
        }
    }
}
