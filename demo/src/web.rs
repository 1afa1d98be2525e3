//! The HTTP side: pages, live streams (Server-Sent Events), the JSON API the forms call, and the
//! static assets, all served from the binary.

mod api;
mod pages;
pub mod socket;
pub mod viewers;

pub use api::BODY_LIMIT;

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

use crate::live;
use crate::state::AppState;
use crate::store::Sample;

/// A record's id from the path; one that is not a UUID is refused with 400 and a message cut
/// short (axum's would repeat the whole path segment, however long).
pub(crate) struct Id(pub(crate) Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<Uuid>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Id(id)),
            Err(rejection) => {
                Err((rejection.status(), api::clip(rejection.body_text())).into_response())
            }
        }
    }
}

/// Every route of the demo.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/contacts/{id}", get(pages::contact))
        .route("/projects/{id}", get(pages::project))
        .route("/teams/{id}", get(pages::team))
        .route("/catalogue", get(pages::catalogue))
        .route("/jobs", get(pages::jobs))
        .route("/jobs/{id}", get(pages::job))
        .route("/live/contacts/{id}", get(live_contact))
        .route("/live/projects/{id}", get(live_project))
        .route("/live/teams/{id}", get(live_team))
        .route("/live/catalogue", get(live_catalogue))
        .route("/live/jobs", get(live_jobs))
        .route("/live/jobs/{id}", get(live_job))
        .route("/socket", get(socket::socket))
        .route("/activity", get(pages::activity))
        .route("/live/activity", get(socket::live_activity))
        .route(
            "/assets/activity.js",
            get(|| async { javascript(include_str!("../assets/activity.js")) }),
        )
        .route("/fragments/jobs/{id}", get(socket::job_fragment))
        .route("/api/cut", axum::routing::post(socket::cut))
        .route("/pubsub/client.js", get(pubsub_axum::client::handler))
        .route(
            "/assets/viewers.js",
            get(|| async { javascript(include_str!("../assets/viewers.js")) }),
        )
        .route(
            "/assets/job.js",
            get(|| async { javascript(include_str!("../assets/job.js")) }),
        )
        .merge(api::routes())
        .route("/assets/style.css", get(style))
        .route(
            "/assets/app.js",
            get(|| async { javascript(include_str!("../assets/app.js")) }),
        )
        .route("/health", get(|| async { "ok" }))
        .fallback(pages::not_found)
        .with_state(state)
}

/// One of the pages' scripts, served from the binary.
fn javascript(source: &'static str) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        source,
    )
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/style.css"),
    )
}

async fn live_contact(State(state): State<AppState>, Id(id): Id) -> impl IntoResponse {
    let sse = state.sse.clone();
    live::stream(&sse, move |out| live::contact::run(state, id, out))
}

async fn live_project(State(state): State<AppState>, Id(id): Id) -> impl IntoResponse {
    let sse = state.sse.clone();
    live::stream(&sse, move |out| live::project::run(state, id, out))
}

async fn live_team(State(state): State<AppState>, Id(id): Id) -> impl IntoResponse {
    let sse = state.sse.clone();
    live::stream(&sse, move |out| live::team::run(state, id, out))
}

async fn live_catalogue(State(state): State<AppState>) -> impl IntoResponse {
    let sse = state.sse.clone();
    live::stream(&sse, move |out| {
        live::catalogue::run(state, Sample::CATALOGUE, out)
    })
}

async fn live_jobs(State(state): State<AppState>) -> impl IntoResponse {
    let sse = state.sse.clone();
    live::stream(&sse, move |out| live::jobs::run_list(state, out))
}

async fn live_job(State(state): State<AppState>, Id(id): Id) -> impl IntoResponse {
    let sse = state.sse.clone();
    live::stream(&sse, move |out| live::jobs::run_job(state, id, out))
}
