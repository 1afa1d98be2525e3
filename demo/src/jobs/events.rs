//! [`JobEvent`], its topics and its fan-out rule.

use pubsub_core::{BroadcastReport, Broker, Event, Message, Topic, TopicPattern, TypedTopic};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `jobs:resource:<uuid>`: coarse news about the jobs of one resource.
pub const RESOURCE: TopicPattern = TopicPattern::new("jobs:resource:", "");
/// `jobs:workflow:<uuid>`: one job's lifecycle.
pub const WORKFLOW: TopicPattern = TopicPattern::new("jobs:workflow:", "");
/// `jobs:process:<uuid>`: the fine-grained steps of the process running a job.
pub const PROCESS: TopicPattern = TopicPattern::new("jobs:process:", "");

/// The topic of a resource's jobs.
pub fn topic_resource(uuid: Uuid) -> TypedTopic<JobEvent> {
    TypedTopic::new(RESOURCE.topic(uuid))
}

/// The topic of one workflow.
pub fn topic_workflow(uuid: Uuid) -> TypedTopic<JobEvent> {
    TypedTopic::new(WORKFLOW.topic(uuid))
}

/// The topic of one process.
pub fn topic_process(uuid: Uuid) -> TypedTopic<JobEvent> {
    TypedTopic::new(PROCESS.topic(uuid))
}

/// A workflow, and the resource it works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkflowPayload {
    /// The workflow (the job).
    pub workflow_uuid: Uuid,
    /// Its resource.
    pub resource_uuid: Uuid,
}

/// A process created to run a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcessPayload {
    /// The workflow it runs.
    pub workflow_uuid: Uuid,
    /// The process.
    pub process_uuid: Uuid,
}

/// One step of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StepPayload {
    /// The process.
    pub process_uuid: Uuid,
    /// The step's number, from 1.
    pub step: u32,
    /// How far the step is, 0 to 100.
    pub percent: u8,
}

/// What happens to a background job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "payload", rename_all = "snake_case")]
pub enum JobEvent {
    /// A workflow was queued for a resource.
    WorkflowStarted(WorkflowPayload),
    /// A process was created to run a workflow.
    ProcessCreated(ProcessPayload),
    /// A step began.
    StepStarted(StepPayload),
    /// A step moved on (high frequency: screens throttle it).
    StepProgress(StepPayload),
    /// A step finished.
    StepCompleted(StepPayload),
    /// The workflow finished.
    WorkflowCompleted(WorkflowPayload),
}

impl Event for JobEvent {
    const DOMAIN: &'static str = "jobs";

    fn name(&self) -> &'static str {
        match self {
            JobEvent::WorkflowStarted(_) => "workflow_started",
            JobEvent::ProcessCreated(_) => "process_created",
            JobEvent::StepStarted(_) => "step_started",
            JobEvent::StepProgress(_) => "step_progress",
            JobEvent::StepCompleted(_) => "step_completed",
            JobEvent::WorkflowCompleted(_) => "workflow_completed",
        }
    }
}

/// The topics an event reaches: each at the granularity that needs it.
pub fn topics_for(event: &JobEvent) -> Vec<Topic> {
    match event {
        JobEvent::WorkflowStarted(w) => vec![RESOURCE.topic(w.resource_uuid)],
        JobEvent::ProcessCreated(p) => vec![WORKFLOW.topic(p.workflow_uuid)],
        JobEvent::StepStarted(s) | JobEvent::StepProgress(s) | JobEvent::StepCompleted(s) => {
            vec![PROCESS.topic(s.process_uuid)]
        }
        JobEvent::WorkflowCompleted(w) => vec![
            WORKFLOW.topic(w.workflow_uuid),
            RESOURCE.topic(w.resource_uuid),
        ],
    }
}

/// Broadcasts `event` to its topics; best-effort (never fails the caller), like the domain
/// crates' broadcasts.
pub async fn broadcast_job<B: Broker + ?Sized>(broker: &B, event: JobEvent) -> BroadcastReport {
    let topics = topics_for(&event);
    pubsub_core::broadcast(broker, &topics, Message::new(event)).await
}
