//! The actions write the store, then broadcast through the domain crates to the right topics.

use std::time::Duration;

use crm_events::{CrmEvent, topic_contact_interactions};
use demo::actions::ActionError;
use demo::actions::crm::{InteractionForm, create_interaction, update_interaction};
use demo::actions::projects::set_status;
use demo::jobs::{JobEvent, start_job, topic_process, topic_workflow};
use demo::store::model::{Assignment, Job};
use demo::{AppState, Sample};
use projects_events::{ProjectsEvent, topic_project};
use pubsub_core::{BrokerExt, Delivery, Event, EventRef, TypedSubscription};

use crate::client::block;

fn form(subject: uuid::Uuid, parties: &[uuid::Uuid]) -> InteractionForm {
    InteractionForm {
        contact_id: subject,
        party_ids: parties.to_vec(),
        kind: "call".into(),
        note: "hello".into(),
    }
}

async fn next<E: Event>(sub: &mut TypedSubscription<E>) -> EventRef<E> {
    match tokio::time::timeout(Duration::from_secs(5), sub.recv()).await {
        Ok(Some(Delivery::Message(event))) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[test]
fn removing_a_party_tells_the_removed_contacts_feed() {
    block(async {
        let state = AppState::in_memory(64).await.unwrap();
        let created = create_interaction(&state, form(Sample::ADA, &[Sample::GRACE]))
            .await
            .unwrap();
        let mut grace =
            crm_events::subscribe(&*state.broker, &topic_contact_interactions(Sample::GRACE))
                .await
                .unwrap();
        update_interaction(&state, created.id, form(Sample::ADA, &[]))
            .await
            .unwrap();
        match &*next(&mut grace).await {
            CrmEvent::InteractionUpdated(p) => assert_eq!(p.interaction_uuid, created.id),
            other => panic!("unexpected {other:?}"),
        }
        let stored = state
            .store
            .get::<demo::store::model::Interaction>(created.id)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.involves(Sample::GRACE));
    });
}

#[test]
fn the_subject_is_not_also_a_party_and_parties_are_not_repeated() {
    block(async {
        let state = AppState::in_memory(64).await.unwrap();
        let created = create_interaction(
            &state,
            form(Sample::ADA, &[Sample::ADA, Sample::GRACE, Sample::GRACE]),
        )
        .await
        .unwrap();
        assert_eq!(created.party_ids, vec![Sample::GRACE]);
    });
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    block(async {
        let state = AppState::in_memory(64).await.unwrap();
        let mut bad_kind = form(Sample::ADA, &[]);
        bad_kind.kind = "telegram".into();
        let error = create_interaction(&state, bad_kind).await.unwrap_err();
        assert!(
            matches!(error, ActionError::Invalid { field: "kind", .. }),
            "{error}"
        );
        let unknown = uuid::Uuid::new_v4();
        let error = create_interaction(&state, form(Sample::ADA, &[unknown]))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ActionError::NotFound {
                    kind: "contact",
                    ..
                }
            ),
            "{error}"
        );
        let error = set_status(&state, unknown, "done").await.unwrap_err();
        assert!(
            matches!(
                error,
                ActionError::NotFound {
                    kind: "assignment",
                    ..
                }
            ),
            "{error}"
        );
    });
}

#[test]
fn an_assignment_status_change_reaches_its_project_topic() {
    block(async {
        let state = AppState::in_memory(64).await.unwrap();
        let mut project =
            projects_events::subscribe(&*state.broker, &topic_project(Sample::PROJECT))
                .await
                .unwrap();
        let assignments = state.store.all::<Assignment>().await.unwrap();
        let first = &assignments[0];
        set_status(&state, first.id, "done").await.unwrap();
        match &*next(&mut project).await {
            ProjectsEvent::AssignmentUpdated(p) => assert_eq!(p.uuid, first.id),
            other => panic!("unexpected {other:?}"),
        }
    });
}

#[test]
fn a_job_publishes_its_lifecycle_on_the_workflow_and_its_steps_on_the_process() {
    block(async {
        let state = AppState::in_memory(1024).await.unwrap();
        let job = start_job(&state, Sample::FEED, "feed").await.unwrap();
        let mut workflow = state
            .broker
            .subscribe_events(&topic_workflow(job.id))
            .await
            .unwrap();
        let process = match &*next(&mut workflow).await {
            JobEvent::ProcessCreated(p) => p.process_uuid,
            other => panic!("unexpected {other:?}"),
        };
        let mut steps = state
            .broker
            .subscribe_events(&topic_process(process))
            .await
            .unwrap();
        let mut completed = Vec::new();
        while completed.len() < 4 {
            if let JobEvent::StepCompleted(s) = &*next(&mut steps).await {
                completed.push(s.step);
            }
        }
        assert_eq!(completed, [1, 2, 3, 4]);
        assert!(
            matches!(&*next(&mut workflow).await, JobEvent::WorkflowCompleted(w) if w.workflow_uuid == job.id)
        );
        let saved = state.store.get::<Job>(job.id).await.unwrap().unwrap();
        assert_eq!((saved.status.as_str(), saved.steps_done), ("completed", 4));
    });
}
