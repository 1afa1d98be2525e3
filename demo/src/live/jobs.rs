//! The background-jobs pages, live. The list listens at resource level (batched); a job's page
//! subscribes to its workflow, then to its process when it learns of it, and shows throttled
//! progress.

use std::future::pending;

use anyhow::{Context, Result};
use futures_util::{Stream, StreamExt};
use pubsub_core::{BrokerExt, Delivery, EventRef, LiveStreamExt};
use uuid::Uuid;

use super::{BATCH, Out, THROTTLE, reason};
use crate::jobs::{JobEvent, topic_process, topic_resource, topic_workflow};
use crate::state::AppState;
use crate::store::Sample;
use crate::store::model::Job;
use crate::views::jobs::{job as job_view, list, step_progress};

/// Follows every resource's jobs until the page closes.
///
/// # Errors
///
/// When the broker refuses the subscription, the store fails, or the page closes.
pub async fn run_list(state: AppState, out: Out) -> Result<()> {
    let [(first, _), rest @ ..] = Sample::RESOURCES;
    let mut subscription = state
        .broker
        .subscribe_events(&topic_resource(first))
        .await?;
    for (resource, _) in rest {
        state
            .broker
            .add_event_topic(&mut subscription, &topic_resource(resource))
            .await?;
    }
    let mut batches = out.count(subscription).batch(32, BATCH);

    out.snapshot(list(&state.store).await?, None).await?;

    while let Some(delivery) = batches.next().await {
        let reloaded = match &delivery {
            Delivery::Message(_) => None,
            notice => Some(reason(notice)),
        };
        out.snapshot(list(&state.store).await?, reloaded).await?;
    }
    Ok(())
}

type Progress = Box<dyn Stream<Item = Delivery<EventRef<JobEvent>>> + Send + Unpin>;

/// Follows one job until the page closes.
///
/// # Errors
///
/// When the broker refuses a subscription, the store fails, the job does not exist, or the page
/// closes.
pub async fn run_job(state: AppState, workflow: Uuid, out: Out) -> Result<()> {
    // 1. Subscribe to the workflow, 2. load.
    let subscription = state
        .broker
        .subscribe_events(&topic_workflow(workflow))
        .await?;
    let mut lifecycle = out.count(subscription);
    let mut job = load(&state, workflow).await?;
    // A process we already know of: subscribe to it too, then load again.
    let mut steps = None;
    if let Some(process) = job.process_id {
        steps = Some(follow(&state, &out, process).await?);
        job = load(&state, workflow).await?;
    }
    out.snapshot(job_view(&job), None).await?;

    loop {
        tokio::select! {
            delivery = lifecycle.next() => match delivery {
                Some(Delivery::Message(event)) => match &*event {
                    JobEvent::ProcessCreated(p) if steps.is_none() => {
                        steps = Some(follow(&state, &out, p.process_uuid).await?);
                        job = load(&state, workflow).await?;
                        out.snapshot(job_view(&job), None).await?;
                    }
                    JobEvent::WorkflowCompleted(_) => {
                        steps = None; // the process is over: unsubscribe
                        job = load(&state, workflow).await?;
                        out.snapshot(job_view(&job), None).await?;
                    }
                    _ => {}
                },
                Some(notice) => {
                    job = load(&state, workflow).await?;
                    out.snapshot(job_view(&job), Some(reason(&notice))).await?;
                }
                None => return Ok(()),
            },
            delivery = next_step(&mut steps) => match delivery {
                Some(Delivery::Message(event)) => {
                    if let JobEvent::StepStarted(s) | JobEvent::StepProgress(s) | JobEvent::StepCompleted(s) = &*event {
                        // From the wire: an impossible step or percent is logged and skipped.
                        if let Some(html) = step_progress(job.steps_total, s.step, s.percent) {
                            out.upsert("progress".to_owned(), "live", "end", html).await?;
                        } else {
                            tracing::warn!(
                                step = s.step,
                                percent = s.percent,
                                total = job.steps_total,
                                "job page skipped an out-of-range step event"
                            );
                        }
                    }
                }
                Some(notice) => {
                    job = load(&state, workflow).await?;
                    out.snapshot(job_view(&job), Some(reason(&notice))).await?;
                }
                None => steps = None,
            },
        }
    }
}

async fn load(state: &AppState, workflow: Uuid) -> Result<Job> {
    state
        .store
        .get::<Job>(workflow)
        .await?
        .with_context(|| format!("no job {workflow}"))
}

/// Subscribes to a process's steps, throttled.
async fn follow(state: &AppState, out: &Out, process: Uuid) -> Result<Progress> {
    let subscription = state
        .broker
        .subscribe_events(&topic_process(process))
        .await?;
    Ok(Box::new(out.count(subscription).throttle(THROTTLE)))
}

/// The next step event, or never when not following a process.
async fn next_step(steps: &mut Option<Progress>) -> Option<Delivery<EventRef<JobEvent>>> {
    match steps {
        Some(stream) => stream.next().await,
        None => pending().await,
    }
}
