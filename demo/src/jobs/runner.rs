//! Runs a job in a tokio task, saving its state and publishing its events as it goes.

use std::time::Duration;

use anyhow::Result;
use uuid::Uuid;

use super::events::{JobEvent, ProcessPayload, StepPayload, WorkflowPayload, broadcast_job};
use crate::state::AppState;
use crate::store::model::{Job, now_ms};

/// The steps every job runs, in order.
pub const STEPS: [&str; 4] = ["Fetch", "Validate", "Transform", "Publish"];

const TICKS_PER_STEP: u8 = 20;
const TICK: Duration = Duration::from_millis(40);

/// Queues a job for `resource`, starts the task that runs it, and returns the job.
///
/// # Errors
///
/// When the store fails.
pub async fn start_job(state: &AppState, resource: Uuid, name: &str) -> Result<Job> {
    let job = Job {
        id: Uuid::new_v4(),
        resource_id: resource,
        name: name.to_owned(),
        process_id: None,
        steps_done: 0,
        steps_total: u32::try_from(STEPS.len()).unwrap_or(u32::MAX),
        status: "queued".to_owned(),
        at: now_ms(),
    };
    state.store.put(&job).await?;
    let workflow = WorkflowPayload {
        workflow_uuid: job.id,
        resource_uuid: resource,
    };
    broadcast_job(&*state.broker, JobEvent::WorkflowStarted(workflow)).await;
    let task_state = state.clone();
    let task_job = job.clone();
    tokio::spawn(async move {
        if let Err(error) = run(&task_state, task_job).await {
            tracing::warn!(%error, "job failed");
        }
    });
    Ok(job)
}

async fn run(state: &AppState, mut job: Job) -> Result<()> {
    let broker = &*state.broker;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let process = Uuid::new_v4();
    job.process_id = Some(process);
    "running".clone_into(&mut job.status);
    state.store.put(&job).await?;
    let created = ProcessPayload {
        workflow_uuid: job.id,
        process_uuid: process,
    };
    broadcast_job(broker, JobEvent::ProcessCreated(created)).await;

    for step in 1..=job.steps_total {
        let at = |percent| StepPayload {
            process_uuid: process,
            step,
            percent,
        };
        broadcast_job(broker, JobEvent::StepStarted(at(0))).await;
        for tick in 1..=TICKS_PER_STEP {
            tokio::time::sleep(TICK).await;
            let percent = tick * (100 / TICKS_PER_STEP);
            broadcast_job(broker, JobEvent::StepProgress(at(percent))).await;
        }
        job.steps_done = step;
        state.store.put(&job).await?;
        broadcast_job(broker, JobEvent::StepCompleted(at(100))).await;
    }

    "completed".clone_into(&mut job.status);
    state.store.put(&job).await?;
    let done = WorkflowPayload {
        workflow_uuid: job.id,
        resource_uuid: job.resource_id,
    };
    broadcast_job(broker, JobEvent::WorkflowCompleted(done)).await;
    Ok(())
}
