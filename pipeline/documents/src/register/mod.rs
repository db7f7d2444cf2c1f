//! The registry's records as documents: a contract's record (提供記録) and the Japanese words of
//! the states, checks, notes and fees the registry stores. The publishable ファイル簿 itself is
//! rendered by the registry (`Registry::file_book`).

mod record;
mod words;

pub use record::record_markdown;
pub use words::{barred_ja, check_ja, fee_words, note_ja, release_status_ja, state_ja};
