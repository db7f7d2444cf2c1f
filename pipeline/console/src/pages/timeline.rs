//! A record's timeline (its events), showing all of each event's details or only known plain
//! values.

use maud::{Markup, html};

/// What a timeline shows of an event's details: everything (a page audited as a view), or only
/// the plain values under these keys (an incident's facts can name a person, e.g. in the `where`
/// that found its records).
#[derive(Clone, Copy)]
pub(super) enum Details {
    All,
    Only(&'static [&'static str]),
}

pub(super) fn detail_text(detail: &serde_json::Value, show: Details) -> String {
    match show {
        Details::All => detail.to_string(),
        Details::Only(keys) => detail
            .as_object()
            .map(|o| {
                keys.iter()
                    .filter_map(|k| {
                        let v = o.get(*k)?;
                        let text = match v {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_string(),
                            _ => return None,
                        };
                        Some(format!("{k}: {text}"))
                    })
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default(),
    }
}

pub(super) fn events(evs: &[tokumei_registry::Event], show: Details) -> Markup {
    html! {
        ol.timeline {
            @for e in evs {
                @let detail = detail_text(&e.detail, show);
                li {
                    time { (e.time) } " " strong { (e.event) } " · " (e.operator)
                    @if !detail.is_empty() && detail != "{}" { br; small.detail { (detail) } }
                }
            }
        }
    }
}
