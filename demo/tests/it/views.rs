//! The view functions render whatever numbers a record or an event carries: they never panic,
//! and what they show stays within its bounds.

use demo::actions::limits::STOCK;
use demo::store::model::{Contact, Interaction, Item, Job};
use demo::views::{catalogue, contact, esc, jobs, page};
use proptest::prelude::*;
use uuid::Uuid;

/// Any `u32`, with its edges (where arithmetic overflows) as likely as the rest.
fn edgy_u32() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), 0_u32..16, (u32::MAX - 16)..=u32::MAX]
}

/// Any `u64`, with its edges as likely as the rest.
fn edgy_u64() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), 0_u64..16, (u64::MAX - 16)..=u64::MAX]
}

/// Any `u8`, with the values around 100 (the percent bound) and 255 as likely as the rest.
fn edgy_u8() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), 95_u8..=105, 250_u8..=255]
}

/// Every `width:N%` in `html`, as numbers.
fn widths(html: &str) -> Vec<u64> {
    html.split("width:")
        .skip(1)
        .filter_map(|part| part.split('%').next()?.parse().ok())
        .collect()
}

/// The stock levels the row's buttons post.
fn posted_stocks(html: &str) -> Vec<u64> {
    html.split("{&quot;stock&quot;:")
        .skip(1)
        .filter_map(|part| part.split('}').next()?.parse().ok())
        .collect()
}

proptest! {
    #[test]
    fn a_catalogue_row_renders_any_price_and_stock_and_its_buttons_stay_in_bounds(
        price_cents in edgy_u64(),
        stock in edgy_u32(),
    ) {
        let item = Item {
            id: Uuid::nil(),
            catalogue_id: Uuid::nil(),
            name: "Item".into(),
            price_cents,
            stock,
        };
        let html = catalogue::row(&item);
        let stock_cell = format!(">{stock}</td>");
        prop_assert!(html.contains(&stock_cell));
        let posted = posted_stocks(&html);
        prop_assert_eq!(posted.len(), 2);
        prop_assert!(posted.iter().all(|n| *n <= u64::from(STOCK)), "{}", html);
    }

    #[test]
    fn a_job_view_renders_any_saved_counts_with_a_bar_of_at_most_100_percent(
        steps_done in edgy_u32(),
        steps_total in edgy_u32(),
        running in any::<bool>(),
        at in edgy_u64(),
    ) {
        let job = Job {
            id: Uuid::nil(),
            resource_id: Uuid::nil(),
            name: "Job".into(),
            process_id: None,
            steps_done,
            steps_total,
            status: if running { "running" } else { "completed" }.into(),
            at,
        };
        let html = jobs::job(&job);
        prop_assert!(widths(&html).iter().all(|w| *w <= 100), "{}", html);
    }

    #[test]
    fn step_progress_refuses_impossible_steps_and_never_overflows(
        total in edgy_u32(),
        step in edgy_u32(),
        percent in edgy_u8(),
    ) {
        let rendered = jobs::step_progress(total, step, percent);
        let possible = step >= 1 && step <= total.max(1) && percent <= 100;
        prop_assert_eq!(rendered.is_some(), possible);
        if let Some(html) = rendered {
            prop_assert!(widths(&html).iter().all(|w| *w <= 100), "{}", html);
        }
    }

    #[test]
    fn the_progress_block_clamps_any_numbers_to_100_percent(
        total in edgy_u32(),
        done in edgy_u32(),
        current in edgy_u32(),
        overall in edgy_u32(),
        step_percent in edgy_u8(),
    ) {
        let html = jobs::progress(total, done, current, overall, step_percent);
        prop_assert!(widths(&html).iter().all(|w| *w <= 100), "{}", html);
    }

    #[test]
    fn a_feed_entry_renders_any_time_and_any_parties(
        at in edgy_u64(),
        parties in proptest::collection::vec(any::<u128>(), 0..40),
        note in ".{0,200}",
    ) {
        let ada = Contact { id: Uuid::from_u128(1), name: "Ada".into(), company: String::new() };
        let entry = Interaction {
            id: Uuid::nil(),
            contact_id: Uuid::from_u128(1),
            party_ids: parties.into_iter().map(Uuid::from_u128).collect(),
            kind: "call".into(),
            note,
            at,
        };
        let html = contact::row(&entry, &[ada]);
        prop_assert!(html.contains("Ada"));
    }

    #[test]
    fn the_page_shell_never_expands_a_placeholder_inside_a_value(
        title in "(\\{\\{(body|title|nav|live)\\}\\}|[a-z{}]){0,40}",
        body in "(\\{\\{(body|title|nav|live)\\}\\}|[a-z{}<>]){0,40}",
    ) {
        let html = page::page(&title, "node", false, "/live", &body);
        // The values appear as given (a `{{…}}` in them stays text); the shell's own
        // placeholders are all filled.
        prop_assert!(html.contains(&esc(&title)), "{}", html);
        prop_assert!(html.contains(&body));
        prop_assert!(!html.contains("{{simulating}}") && !html.contains("{{nav}}</"));
    }
}
