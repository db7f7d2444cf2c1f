//! The console's two languages: Japanese (the default: the officers' own) and English.

pub use tokumei_words::Lang;
