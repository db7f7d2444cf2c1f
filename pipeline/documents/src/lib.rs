//! The documents tokumei drafts for the municipality and the people it answers: decision and
//! extension notices and disclosure packages (requests), the 法68 and My Number reports, notices to
//! people and contract records (incidents), the 個人情報ファイル簿 and 匿名加工情報ファイル簿
//! (registry). Each is rendered from what the registry stores: this crate reads no file and
//! writes none (the callers, `tokumei-office` and the console, do), so the CLI and the console
//! print the same words.

pub mod disclosure;
pub mod html;
pub mod incidents;
pub mod register;
pub mod requests;
pub mod terms;
pub mod text;

/// House rules (docs/design.md): no module names one that names it back.
#[cfg(test)]
mod architecture {
    #[test]
    fn no_circle() {
        tokumei_house::assert_no_circle(env!("CARGO_MANIFEST_DIR"), &[]);
    }

    #[test]
    fn no_long_function() {
        tokumei_house::assert_no_long_function(env!("CARGO_MANIFEST_DIR"), 150);
    }
}
