//! The sample data, with fixed ids so every node (and every test) knows them.

use anyhow::Result;
use uuid::Uuid;

use super::Store;
use super::model::{
    Assignment, Contact, Interaction, Item, Membership, Person, Project, Team, now_ms,
};

/// The fixed ids of the sample records the pages link to.
#[derive(Debug, Clone, Copy)]
pub struct Sample;

const fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

impl Sample {
    /// Contact: Ada Lovelace.
    pub const ADA: Uuid = id(0x101);
    /// Contact: Grace Hopper.
    pub const GRACE: Uuid = id(0x102);
    /// Contact: Alan Turing.
    pub const ALAN: Uuid = id(0x103);
    /// Contact: Katherine Johnson.
    pub const KATHERINE: Uuid = id(0x104);
    /// Contact: Edsger Dijkstra.
    pub const EDSGER: Uuid = id(0x105);
    /// Project: Website relaunch.
    pub const PROJECT: Uuid = id(0x201);
    /// Team: Platform.
    pub const TEAM: Uuid = id(0x301);
    /// Team: Support.
    pub const SUPPORT_TEAM: Uuid = id(0x302);
    /// Department of both teams.
    pub const DEPARTMENT: Uuid = id(0x310);
    /// Catalogue: Office supplies.
    pub const CATALOGUE: Uuid = id(0x401);
    /// Job resource: the product feed.
    pub const FEED: Uuid = id(0x501);
    /// Job resource: the payroll export.
    pub const PAYROLL: Uuid = id(0x502);

    /// The job resources and their names.
    pub const RESOURCES: [(Uuid, &'static str); 2] = [
        (Self::FEED, "Product feed import"),
        (Self::PAYROLL, "Monthly payroll export"),
    ];

    /// Staff ids, `0x3a1..`: people of the sample teams.
    pub fn person(n: u128) -> Uuid {
        id(0x3a0 + n)
    }
}

pub(super) async fn write(store: &Store) -> Result<()> {
    let contacts = [
        (Sample::ADA, "Ada Lovelace", "Analytical Engines Ltd"),
        (Sample::GRACE, "Grace Hopper", "Compilers & Co"),
        (Sample::ALAN, "Alan Turing", "Bletchley Labs"),
        (
            Sample::KATHERINE,
            "Katherine Johnson",
            "Orbital Mechanics Inc",
        ),
        (Sample::EDSGER, "Edsger Dijkstra", "Structured Software BV"),
    ];
    for (id, name, company) in contacts {
        let contact = Contact {
            id,
            name: name.into(),
            company: company.into(),
        };
        store.put(&contact).await?;
    }
    let now = now_ms();
    let interactions = [
        (
            Sample::ADA,
            vec![Sample::GRACE],
            "meeting",
            "Kick-off: engine schematics review",
            40,
        ),
        (
            Sample::GRACE,
            vec![Sample::ADA, Sample::ALAN],
            "call",
            "Compiler licensing terms",
            30,
        ),
        (
            Sample::ALAN,
            vec![],
            "email",
            "Sent the machine specification",
            20,
        ),
        (
            Sample::KATHERINE,
            vec![Sample::ADA],
            "note",
            "Trajectory tables delivered",
            10,
        ),
    ];
    for (i, (contact_id, party_ids, kind, note, minutes_ago)) in
        interactions.into_iter().enumerate()
    {
        let interaction = Interaction {
            id: id(0x1100 + i as u128),
            contact_id,
            party_ids,
            kind: kind.into(),
            note: note.into(),
            at: now.saturating_sub(minutes_ago * 60_000),
        };
        store.put(&interaction).await?;
    }
    projects(store).await?;
    staff(store).await?;
    catalogue(store).await
}

async fn projects(store: &Store) -> Result<()> {
    store
        .put(&Project {
            id: Sample::PROJECT,
            name: "Website relaunch".into(),
        })
        .await?;
    let tasks = [
        ("Write the copy", "done"),
        ("Design the landing page", "doing"),
        ("Migrate the blog", "todo"),
        ("Set up redirects", "todo"),
        ("Load test", "todo"),
    ];
    for (i, (title, status)) in tasks.into_iter().enumerate() {
        let assignment = Assignment {
            id: id(0x2100 + i as u128),
            project_id: Sample::PROJECT,
            title: title.into(),
            status: status.into(),
            position: u32::try_from(i).unwrap_or(0),
        };
        store.put(&assignment).await?;
    }
    Ok(())
}

async fn staff(store: &Store) -> Result<()> {
    let teams = [
        (Sample::TEAM, "Platform"),
        (Sample::SUPPORT_TEAM, "Support"),
    ];
    for (id, name) in teams {
        store
            .put(&Team {
                id,
                name: name.into(),
                department_id: Some(Sample::DEPARTMENT),
            })
            .await?;
    }
    let people = [
        ("Margaret Hamilton", "Engineering lead", "available"),
        ("Dennis Ritchie", "Systems engineer", "busy"),
        ("Barbara Liskov", "Architect", "available"),
        ("Ken Thompson", "Systems engineer", "away"),
        ("Frances Allen", "Support engineer", "available"),
        ("John Backus", "Support engineer", "busy"),
    ];
    for (n, (name, role, status)) in (1..).zip(people) {
        let person = Person {
            id: Sample::person(n),
            name: name.into(),
            role: role.into(),
            status: status.into(),
        };
        store.put(&person).await?;
    }
    let memberships = [
        (Sample::TEAM, 1),
        (Sample::TEAM, 2),
        (Sample::TEAM, 3),
        (Sample::SUPPORT_TEAM, 5),
        (Sample::SUPPORT_TEAM, 6),
    ];
    for (i, (team_id, person)) in memberships.into_iter().enumerate() {
        let membership = Membership {
            id: id(0x3100 + i as u128),
            team_id,
            person_id: Sample::person(person),
        };
        store.put(&membership).await?;
    }
    Ok(())
}

async fn catalogue(store: &Store) -> Result<()> {
    let items = [
        ("Notebook, A5 dotted", 450, 120),
        ("Fountain pen", 2_900, 14),
        ("Desk lamp", 3_450, 8),
        ("Whiteboard markers (4)", 699, 60),
        ("Standing desk mat", 5_900, 5),
        ("Cable organiser", 1_250, 33),
    ];
    for (i, (name, price_cents, stock)) in items.into_iter().enumerate() {
        let item = Item {
            id: id(0x4100 + i as u128),
            catalogue_id: Sample::CATALOGUE,
            name: name.into(),
            price_cents,
            stock,
        };
        store.put(&item).await?;
    }
    Ok(())
}
