//! Proposals and contracts (法112-法120): record a proposal, its review, each next step of the
//! workflow, a cancellation; the contract and its full record.

use super::who;
use crate::OfficeError;
use std::path::Path;
use tokumei_registry::{FeeBasis, Proposal, Registry, Review, State, StoredContract};

/// A proposal recorded by [`propose`].
pub struct Proposed {
    /// The proposal as read.
    pub proposal: Proposal,
    /// Its contract id.
    pub id: i64,
    /// The contract as stored.
    pub contract: Option<StoredContract>,
}

/// Record a received proposal (from a proposal file), received on `received` (YYYY-MM-DD) when
/// it is entered later (default: today).
pub fn propose(path: &Path, proposal: &Path, operator: &str, received: Option<&str>) -> Result<Proposed, OfficeError> {
    let proposal = Proposal::load(proposal)?;
    let mut reg = Registry::open(path)?;
    let id = reg.propose_received(&who(operator)?, &proposal, received)?;
    let contract = reg.contract(id)?;
    Ok(Proposed { proposal, id, contract })
}

/// Record the review of a received proposal (from a review file): the review, and whether every
/// check is met.
pub fn review(path: &Path, id: i64, review: &Path, operator: &str) -> Result<(Review, bool), OfficeError> {
    let r = Review::load(review)?;
    let mut reg = Registry::open(path)?;
    let passed = reg.review(&who(operator)?, id, &r)?;
    Ok((r, passed))
}

/// A step of the workflow, as given.
pub struct Step<'a> {
    /// The contract.
    pub id: i64,
    /// The next state (not `cancelled`: [`cancel`]).
    pub to: State,
    /// Reasons, receipts, references.
    pub note: Option<&'a str>,
    /// Staff hours of creation work, as typed (法119条3項).
    pub hours: Option<&'a str>,
    /// What a contractor entrusted with the creation is paid, yen.
    pub contractor_cost: Option<i64>,
    /// The fee of a 法118 contract, yen (法119条4項).
    pub fee_yen: Option<i64>,
}

/// Move a contract to its next state (checked against the workflow); the contract after a fee is
/// paid (to show the fee).
pub fn advance(path: &Path, step: &Step, operator: &str) -> Result<Option<StoredContract>, OfficeError> {
    let fee = FeeBasis {
        hours: step.hours.map(tokumei_registry::parse_hours).transpose()?,
        contractor_cost_yen: step.contractor_cost,
        fee_yen: step.fee_yen,
    };
    if step.to == State::Cancelled {
        return Err(OfficeError::Usage("cancel with `tokumei contract cancel ID --note GROUND`".into()));
    }
    let mut reg = Registry::open(path)?;
    reg.advance(&who(operator)?, step.id, step.to, step.note, &fee)?;
    if step.to == State::FeePaid { Ok(reg.contract(step.id)?) } else { Ok(None) }
}

/// Cancel a contract (法120); the business is barred for two years.
pub fn cancel(path: &Path, id: i64, note: &str, operator: &str) -> Result<(), OfficeError> {
    let mut reg = Registry::open(path)?;
    reg.advance(&who(operator)?, id, State::Cancelled, Some(note), &Default::default())?;
    Ok(())
}

/// One contract with its review, notice and history.
pub fn show(path: &Path, id: i64) -> Result<StoredContract, OfficeError> {
    Registry::open(path)?.contract(id)?.ok_or_else(|| OfficeError::Refused(format!("no contract {id}")))
}

/// The contract's full record (proposal, review, notice, fee, every step, releases and
/// provisions), as the registry gives it (`tokumei_documents::register::record_markdown`
/// renders it).
pub fn record(path: &Path, id: i64) -> Result<serde_json::Value, OfficeError> {
    Ok(Registry::open(path)?.contract_record(id)?)
}

/// Every contract.
pub fn list(path: &Path) -> Result<Vec<StoredContract>, OfficeError> {
    Ok(Registry::open(path)?.contracts()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellation_has_its_own_command_and_bad_hours_are_refused_first() {
        let step = |to, hours| Step { id: 1, to, note: None, hours, contractor_cost: None, fee_yen: None };
        let e = advance(Path::new("none.sqlite"), &step(State::Cancelled, None), "tester").unwrap_err();
        assert!(matches!(e, OfficeError::Usage(_)), "{e}");
        let e = advance(Path::new("none.sqlite"), &step(State::Cancelled, Some("many")), "tester").unwrap_err();
        assert!(matches!(e, OfficeError::Registry(_)), "{e}");
    }
}
