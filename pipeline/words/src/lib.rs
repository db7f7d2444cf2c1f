//! The words every tokumei crate shares, each with one home (as `datafusion-common` is for
//! DataFusion): the language of a page or report ([`Lang`]), who makes the data under the APPI
//! ([`Actor`]), and the one escaper of text put into HTML ([`escape`]). The civil date lives in
//! `tokumei-jp` (Japan's calendar); this crate depends on nothing of tokumei's.

mod actor;
mod escape;
mod lang;

pub use actor::Actor;
pub use escape::{escape, escape_line};
pub use lang::Lang;

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
