//! Progress bars on stderr for a run (the engine reports its stages through [`Progress`]).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use tokumei_engine::Progress;

/// Progress bars on stderr, drawn only when it is a terminal.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Bars {
    /// Bars drawn when stderr is a terminal.
    pub fn new() -> Self {
        Bars { bar: Mutex::new(None), visible: std::io::stderr().is_terminal() }
    }
}

impl Progress for Bars {
    fn stage(&self, name: &str, total: Option<u64>) {
        if !self.visible {
            return;
        }
        let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        bar.set_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:28} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_string());
        *self.bar.lock().expect("bar lock") = Some(bar);
    }
    fn set(&self, done: u64) {
        if let Some(b) = self.bar.lock().expect("bar lock").as_ref() {
            b.set_position(done);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.bar.lock().expect("bar lock").take() {
            b.finish_and_clear();
        }
    }
}
