//! Who receives what: a screen on every topic of a small scenario, a few broadcasts, and the
//! deliveries each screen saw.
//!
//! Run with `cargo run -p projects-events --example fanout`.

use projects_events::{
    AssignmentChange, AssignmentPayload, AssignmentReorderedPayload, AssignmentsReordered,
    DependencyChange, DependencyPayload, EmbedIntent, EmbedPayload, ProjectActivity, ProjectChange,
    ProjectPayload, ProjectRefPayload, ProjectsEvent, TaskChange, TaskPayload,
    broadcast_assignment, broadcast_dependency, broadcast_embed, broadcast_project, broadcast_task,
    subscribe, topic_all, topic_embed, topic_project, topic_tasks, topic_templates,
};
use pubsub_core::{BrokerExt, Delivery, Event, MemoryBroker, Topic, TypedSubscription};
use uuid::Uuid;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = MemoryBroker::new();
    let kitchen = Uuid::new_v4();
    let template = Uuid::new_v4();
    let (tiling, plumbing) = (Uuid::new_v4(), Uuid::new_v4());

    // Every screen subscribes before it would load anything.
    let mut screens: Vec<(&str, TypedSubscription<ProjectsEvent>)> = vec![
        (
            "projects index (projects:all)",
            subscribe(&broker, &topic_all()).await?,
        ),
        (
            "task library (projects:tasks)",
            subscribe(&broker, &topic_tasks()).await?,
        ),
        (
            "template list (projects:templates)",
            subscribe(&broker, &topic_templates()).await?,
        ),
        (
            "kitchen page (projects:project:<kitchen>)",
            subscribe(&broker, &topic_project(kitchen)).await?,
        ),
        (
            "template page (projects:project:<template>)",
            subscribe(&broker, &topic_project(template)).await?,
        ),
    ];
    let host = topic_embed(Topic::new("host:popup:1")?);
    let mut popup_host = broker.subscribe_events(&host).await?;

    // What the context functions broadcast after their commits.
    broadcast_project(
        &broker,
        ProjectChange::Created,
        ProjectPayload::new(kitchen, "Kitchen"),
    )
    .await;
    let mut bathroom = ProjectPayload::new(template, "Bathroom template");
    bathroom.is_template = true;
    broadcast_project(&broker, ProjectChange::Updated, bathroom).await;
    broadcast_project(
        &broker,
        ProjectActivity::WorkLogged,
        ProjectRefPayload { uuid: kitchen },
    )
    .await;
    let task = TaskPayload {
        uuid: Uuid::new_v4(),
        title: "Order tiles".to_owned(),
    };
    broadcast_task(&broker, TaskChange::Created, task).await;
    let assignment = AssignmentPayload {
        uuid: tiling,
        project_uuid: kitchen,
    };
    broadcast_assignment(&broker, AssignmentChange::Created, assignment).await;
    broadcast_assignment(
        &broker,
        AssignmentsReordered,
        AssignmentReorderedPayload {
            project_uuid: kitchen,
        },
    )
    .await;
    let dependency = DependencyPayload {
        assignment_uuid: tiling,
        depends_on_uuid: plumbing,
        project_uuid: kitchen,
    };
    broadcast_dependency(&broker, DependencyChange::Added, dependency).await;
    let mut intent = EmbedPayload::new();
    intent.insert("project_uuid".to_owned(), kitchen.to_string().into());
    broadcast_embed(&broker, &host, EmbedIntent::Saved, intent).await;

    for (screen, subscription) in &mut screens {
        let mut received = Vec::new();
        while let Ok(Delivery::Message(event)) = subscription.try_recv() {
            received.push(event.name());
        }
        println!("{screen:<46} {}", received.join(", "));
    }
    let mut intents = Vec::new();
    while let Ok(Delivery::Message(event)) = popup_host.try_recv() {
        intents.push(event.name());
    }
    println!("{:<46} {}", "popup host (host:popup:1)", intents.join(", "));
    Ok(())
}
