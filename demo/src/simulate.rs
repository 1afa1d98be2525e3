//! "Simulate activity": while the switch is on, this node makes a change every 700 ms, through
//! the same actions the forms use, so every open page has something to show.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use uuid::Uuid;

use crate::actions::catalogue::ItemEdit;
use crate::actions::crm::{InteractionForm, KINDS};
use crate::actions::{catalogue, crm, projects, staff};
use crate::jobs::start_job;
use crate::state::AppState;
use crate::store::Sample;
use crate::store::model::{Assignment, Contact, Interaction, Item, Membership, Person};

const NOTES: [&str; 6] = [
    "Follow-up on the proposal",
    "Asked for a demo",
    "Sent the contract draft",
    "Quarterly check-in",
    "Introduced to the new team",
    "Discussed pricing",
];

/// A small xorshift generator: good enough to pick what changes next.
#[derive(Debug)]
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.roll(items.len()))
    }
}

/// Runs forever, making a change every tick while the switch is on.
pub async fn run(state: AppState) {
    let mut dice = Dice(u64::from(std::process::id()) << 20 | 0x9e37_79b9);
    let mut tick = tokio::time::interval(Duration::from_millis(700));
    loop {
        tick.tick().await;
        if state.simulating.load(Ordering::Relaxed)
            && let Err(error) = step(&state, &mut dice).await
        {
            tracing::debug!(%error, "simulated change failed");
        }
    }
}

async fn step(state: &AppState, dice: &mut Dice) -> Result<()> {
    let store = &state.store;
    match dice.roll(8) {
        0 | 1 => {
            let contacts: Vec<Uuid> = store.all::<Contact>().await?.iter().map(|c| c.id).collect();
            let Some(&subject) = dice.pick(&contacts) else {
                return Ok(());
            };
            let party = dice.pick(&contacts).copied().filter(|p| *p != subject);
            let form = InteractionForm {
                contact_id: subject,
                party_ids: party.into_iter().collect(),
                kind: (*dice.pick(&KINDS).unwrap_or(&"note")).to_owned(),
                note: (*dice.pick(&NOTES).unwrap_or(&"")).to_owned(),
            };
            crm::create_interaction(state, form).await?;
        }
        2 => {
            let all = store.all::<Interaction>().await?;
            if all.len() > 12
                && let Some(oldest) = all.iter().min_by_key(|i| i.at)
            {
                crm::delete_interaction(state, oldest.id).await?;
            }
        }
        3 => {
            let all = store
                .filter::<Assignment>(|a| a.project_id == Sample::PROJECT)
                .await?;
            if let Some(a) = dice.pick(&all) {
                let next = match a.status.as_str() {
                    "todo" => "doing",
                    "doing" => "done",
                    _ => "todo",
                };
                projects::set_status(state, a.id, next).await?;
            }
        }
        4 => {
            let people = store.all::<Person>().await?;
            if let Some(p) = dice.pick(&people) {
                let status = *dice.pick(&staff::STATUSES).unwrap_or(&"available");
                staff::set_status(state, p.id, status).await?;
            }
        }
        5 => {
            let person = Sample::person(4);
            let existing = store
                .filter::<Membership>(|m| m.team_id == Sample::TEAM && m.person_id == person)
                .await?;
            match existing.first() {
                Some(m) => staff::remove_member(state, m.id).await?,
                None => staff::add_member(state, Sample::TEAM, person)
                    .await
                    .map(drop)?,
            }
        }
        6 => {
            let items = store.all::<Item>().await?;
            if let Some(item) = dice.pick(&items) {
                let stock = u32::try_from(dice.roll(40)).unwrap_or(0);
                let edit = ItemEdit {
                    price_cents: None,
                    stock: Some(stock),
                };
                catalogue::edit_item(state, item.id, edit).await?;
            }
        }
        _ => {
            if dice.roll(3) == 0
                && let Some((resource, name)) = dice.pick(&Sample::RESOURCES)
            {
                start_job(state, *resource, name).await?;
            }
        }
    }
    Ok(())
}
