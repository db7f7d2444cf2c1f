//! What the CLI prints after a step of a contract, a recipient or a call for proposals:
//! recorded, reviewed, advanced, cancelled, added, opened, closed.

use super::told::Told;
use crate::register::fee_words;
use tokumei_registry::{Proposal, ProposalKind, StoredContract};

/// `recipient add`.
pub fn recipient_added(name: &str, id: i64) -> Told {
    Told::out(format!("registered recipient `{name}` (#{id})\n"))
}

/// `contract propose`: the proposal recorded (and a change of use's contract under review).
pub fn proposed(id: i64, p: &Proposal, c: Option<&StoredContract>) -> Told {
    let mut s = String::new();
    put!(
        s,
        "recorded proposal {id} of `{}` for file `{}` (received; {}{})",
        p.recipient,
        c.map_or(p.file.as_str(), |c| c.file.as_str()),
        p.kind.label(),
        c.and_then(|c| c.call_id).map(|n| format!(", in response to call {n}")).unwrap_or_default()
    );
    if p.kind == ProposalKind::ChangeOfUse {
        put!(
            s,
            "  contract {} is under review for the change of use until this proposal is decided",
            p.contract.unwrap_or(0)
        );
    }
    Told::out(s)
}

/// `contract review`: by whom, and whether every check was met.
pub fn reviewed(id: i64, reviewer: &str, passed: bool) -> Told {
    let how = if passed { "every check met (notify fit next)" } else { "checks failed (notify not_fit with reasons)" };
    Told::out(format!("contract {id} reviewed by {reviewer}: {how}\n"))
}

/// `contract advance`: the new state (and the fee when paid).
pub fn advanced(id: i64, to: &str, paid: Option<&StoredContract>) -> Told {
    let mut s = format!("contract {id}: {to}\n");
    if let Some(c) = paid {
        put!(s, "  fee {} yen ({})", c.fee_yen.unwrap_or(0), fee_words(c.fee_basis.as_ref()));
    }
    Told::out(s)
}

/// `contract cancel`.
pub fn cancelled(id: i64) -> Told {
    Told::out(format!("contract {id}: cancelled (法120); the business may not receive data for two years\n"))
}

/// `call open`: the call and its period.
pub fn call_opened(c: &tokumei_registry::Call) -> Told {
    Told::out(format!(
        "opened call {} for proposals from {} to {} for {}\n",
        c.id,
        c.open_from,
        c.open_until,
        c.files.join(", ")
    ))
}

/// `call close`: the day closed, and a warning when it ran less than the minimum (規則53).
pub fn call_closed(c: &tokumei_registry::Call) -> Told {
    let id = c.id;
    let err = match c.ran_full_period() {
        true => String::new(),
        false => format!(
            "warning: call {id} ran less than {} days: it does not count as the fiscal year's call (規則53)\n",
            tokumei_registry::MIN_CALL_DAYS
        ),
    };
    Told { out: format!("closed call {id} on {}\n", c.closed_on.as_deref().unwrap_or("-")), err }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_review_and_a_cancellation_say_what_follows() {
        assert_eq!(super::reviewed(2, "A", true).out, "contract 2 reviewed by A: every check met (notify fit next)\n");
        assert!(super::cancelled(2).out.contains("two years"));
        assert_eq!(super::advanced(2, "fit", None).out, "contract 2: fit\n");
    }
}
