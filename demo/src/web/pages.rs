//! Whole pages for a first GET: the shell, the page's static part, and an empty live part that
//! the page's stream fills.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::Id;
use crate::state::AppState;
use crate::store::Sample;
use crate::store::model::{Job, Project, Team};
use crate::views::{
    catalogue, contact as contact_view, jobs, page, project as project_view, team as team_view,
    viewers,
};
use crate::web::viewers as web_viewers;

fn render(state: &AppState, title: &str, live: &str, body: &str) -> Response {
    let simulating = state.simulating.load(Ordering::Relaxed);
    Html(page::page(title, &state.node, simulating, live, body)).into_response()
}

fn failed(error: &anyhow::Error) -> Response {
    tracing::warn!(%error, "page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("store error: {error}"),
    )
        .into_response()
}

pub(super) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<h1>Not found</h1><p><a href=\"/\">Home</a></p>"),
    )
        .into_response()
}

pub(super) async fn index(State(state): State<AppState>) -> Response {
    let contacts = contact_view::contacts(&state.store).await;
    let teams = state.store.all::<Team>().await;
    match (contacts, teams) {
        (Ok(contacts), Ok(mut teams)) => {
            teams.sort_by(|a, b| a.name.cmp(&b.name));
            render(&state, "Home", "", &page::index(&contacts, &teams))
        }
        (Err(e), _) | (_, Err(e)) => failed(&e),
    }
}

pub(super) async fn contact(State(state): State<AppState>, Id(id): Id) -> Response {
    let contacts = match contact_view::contacts(&state.store).await {
        Ok(contacts) => contacts,
        Err(e) => return failed(&e),
    };
    let Some(contact) = contacts.iter().find(|c| c.id == id) else {
        return not_found().await;
    };
    let live = format!("/live/contacts/{id}");
    let viewers = viewers::panel(web_viewers::CONTACT.topic(id).as_str());
    let body = contact_view::body(contact, &contacts) + &viewers;
    render(&state, &contact.name, &live, &body)
}

pub(super) async fn project(State(state): State<AppState>, Id(id): Id) -> Response {
    match state.store.get::<Project>(id).await {
        Ok(Some(project)) => {
            let live = format!("/live/projects/{id}");
            render(&state, &project.name, &live, &project_view::body(&project))
        }
        Ok(None) => not_found().await,
        Err(e) => failed(&e),
    }
}

pub(super) async fn team(State(state): State<AppState>, Id(id): Id) -> Response {
    match state.store.get::<Team>(id).await {
        Ok(Some(team)) => {
            let live = format!("/live/teams/{id}");
            let viewers = viewers::panel(web_viewers::TEAM.topic(id).as_str());
            render(
                &state,
                &team.name,
                &live,
                &(team_view::body(&team) + &viewers),
            )
        }
        Ok(None) => not_found().await,
        Err(e) => failed(&e),
    }
}

pub(super) async fn catalogue(State(state): State<AppState>) -> Response {
    render(
        &state,
        "Catalogue",
        "/live/catalogue",
        &catalogue::body(Sample::CATALOGUE),
    )
}

pub(super) async fn jobs(State(state): State<AppState>) -> Response {
    render(&state, "Jobs", "/live/jobs", &jobs::list_body())
}

pub(super) async fn activity(State(state): State<AppState>) -> Response {
    // Followed by the page itself over a resumable SSE stream (`/live/activity`).
    render(&state, "Activity", "", &jobs::activity_body())
}

pub(super) async fn job(State(state): State<AppState>, Id(id): Id) -> Response {
    match state.store.get::<Job>(id).await {
        // Followed over WebSocket channels by the page itself (no SSE stream).
        Ok(Some(job)) => render(&state, &job.name, "", &jobs::job_body(&job)),
        Ok(None) => not_found().await,
        Err(e) => failed(&e),
    }
}
