//! Who receives what: a screen on every topic of a small scenario, a few broadcasts, and the
//! deliveries each screen saw.
//!
//! Run with `cargo run -p staff-events --example fanout`.

use pubsub_core::{Delivery, Event, MemoryBroker, TypedSubscription};
use staff_events::{
    DepartmentChange, DepartmentPayload, PeopleBulkChange, PersonChange, PersonPayload,
    PersonSkillChange, PersonSkillPayload, SkillChange, SkillPayload, StaffEvent, TeamChange,
    TeamMembershipChange, TeamMembershipPayload, TeamPayload, broadcast_department,
    broadcast_people_bulk, broadcast_person, broadcast_person_skill, broadcast_skill,
    broadcast_team, broadcast_team_membership, subscribe, topic_department, topic_departments,
    topic_people, topic_person, topic_skill, topic_skills, topic_team, topic_teams,
};
use uuid::Uuid;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = MemoryBroker::new();
    let (sales, crew, ada, welding) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );

    // Every screen subscribes before it would load anything.
    let mut screens: Vec<(&str, TypedSubscription<StaffEvent>)> = vec![
        (
            "departments list (staff:departments)",
            subscribe(&broker, &topic_departments()).await?,
        ),
        (
            "teams list (staff:teams)",
            subscribe(&broker, &topic_teams()).await?,
        ),
        (
            "people list (staff:people)",
            subscribe(&broker, &topic_people()).await?,
        ),
        (
            "skills list (staff:skills)",
            subscribe(&broker, &topic_skills()).await?,
        ),
        (
            "sales page (staff:department:<sales>)",
            subscribe(&broker, &topic_department(sales)).await?,
        ),
        (
            "crew page (staff:team:<crew>)",
            subscribe(&broker, &topic_team(crew)).await?,
        ),
        (
            "ada's page (staff:person:<ada>)",
            subscribe(&broker, &topic_person(ada)).await?,
        ),
        (
            "welding page (staff:skill:<welding>)",
            subscribe(&broker, &topic_skill(welding)).await?,
        ),
    ];

    // What the context functions broadcast after their commits.
    broadcast_department(
        &broker,
        DepartmentChange::Created,
        DepartmentPayload {
            uuid: sales,
            name: "Sales".into(),
        },
    )
    .await;
    broadcast_team(
        &broker,
        TeamChange::Created,
        TeamPayload {
            uuid: crew,
            name: "Crew".into(),
            department_uuid: Some(sales),
        },
    )
    .await;
    broadcast_person(&broker, PersonChange::Created, PersonPayload { uuid: ada }).await;
    let membership = TeamMembershipPayload {
        team_uuid: crew,
        staff_person_uuid: ada,
        uuid: Uuid::new_v4(),
    };
    broadcast_team_membership(&broker, TeamMembershipChange::Added, membership).await;
    broadcast_skill(
        &broker,
        SkillChange::Created,
        SkillPayload {
            uuid: welding,
            name: "Welding".into(),
        },
    )
    .await;
    let person_skill = PersonSkillPayload {
        skill_uuid: welding,
        staff_person_uuid: ada,
        uuid: Uuid::new_v4(),
    };
    broadcast_person_skill(&broker, PersonSkillChange::Added, person_skill).await;
    broadcast_people_bulk(&broker, PeopleBulkChange::Updated).await;

    for (screen, subscription) in &mut screens {
        let mut received = Vec::new();
        while let Ok(Delivery::Message(event)) = subscription.try_recv() {
            let bulk = matches!(&*event, StaffEvent::PersonUpdated(t) if t.is_bulk());
            received.push(format!(
                "{}{}",
                event.name(),
                if bulk { " (bulk)" } else { "" }
            ));
        }
        println!("{screen:<40} {}", received.join(", "));
    }
    Ok(())
}
