//! Background jobs: the demo's own domain, built on the core exactly as a domain crate is.
//!
//! A job (a *workflow*) works on a *resource* and is run by a *process*, a tokio task. Its
//! events go to a topic hierarchy by granularity, as the real-time updates reference describes:
//!
//! | topic | events | who listens |
//! |---|---|---|
//! | `jobs:resource:<uuid>` | `workflow_started`, `workflow_completed` | the jobs list |
//! | `jobs:workflow:<uuid>` | `process_created`, `workflow_completed` | a job's page |
//! | `jobs:process:<uuid>` | `step_started`, `step_progress`, `step_completed` | a job's page, once it knows the process |
//!
//! [`JobEvent`] implements [`pubsub_core::Event`]; [`topics_for`] is the pure fan-out rule and
//! [`broadcast_job`] the best-effort broadcast, the same three parts as `crm-events` and friends.

mod events;
mod runner;

pub use events::{
    JobEvent, PROCESS, ProcessPayload, RESOURCE, StepPayload, WORKFLOW, WorkflowPayload,
    broadcast_job, topic_process, topic_resource, topic_workflow, topics_for,
};
pub use runner::{STEPS, start_job};
