//! What a page knows of its request ([`Ctx`]) and the message an action leaves for the next
//! page ([`Flash`]): built by the server for each request, read by the pages.

use crate::text::Lang;

/// A message for the next page (the outcome of an action).
#[derive(Debug, Clone)]
pub(crate) struct Flash {
    /// Whether the action was done.
    pub ok: bool,
    /// What to say.
    pub lines: Vec<String>,
}

/// What a page knows of its request.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The session's language.
    pub lang: Lang,
    /// The session's token for forms.
    pub csrf: String,
    /// The operator.
    pub operator: String,
    /// Today by the program's clock.
    pub today: String,
    /// The outcome of the last action, shown once.
    pub flash: Option<Flash>,
    /// The page's own path (for the language switch).
    pub path: String,
    /// The session's key (the cookie), for the server's own look-ups.
    pub session: String,
}
