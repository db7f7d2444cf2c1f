//! `tokumei pseudo`: pseudo-data (疑似データ) from a release; the use-case is
//! `tokumei_office::pseudo`.

use crate::args::PseudoArgs;
use crate::common::{Failure, tell};
use tokumei_office::pseudo;

/// Run `tokumei pseudo`.
pub fn pseudo(a: PseudoArgs) -> Result<(), Failure> {
    let ask = pseudo::PseudoAsk {
        release: &a.release,
        rows: a.rows,
        out: &a.out,
        log: &a.log,
        job: a.job.as_deref(),
        operator: a.operator.name(),
    };
    tell(pseudo::pseudo(ask)?)
}
