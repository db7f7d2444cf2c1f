//! Who makes the data under the APPI: the report's labels, standards and duties follow it.

use serde::Deserialize;

/// Who makes the data under the APPI; the report's labels, standards and duties follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// 行政機関等 (a municipality, prefecture or national body): 行政機関等匿名加工情報
    /// (法116条1項, 規則62条); what it pseudonymises is still personal information it holds.
    #[default]
    PublicBody,
    /// 個人情報取扱事業者: 匿名加工情報 (法43条, 規則34条) or 仮名加工情報 (法41条, 規則31条).
    Business,
    /// 法58条法人 (地方独立行政法人, public hospitals and universities), treated as a business.
    Article58,
}

impl Actor {
    /// Every actor.
    pub const ALL: [Actor; 3] = [Actor::PublicBody, Actor::Business, Actor::Article58];

    /// The word in job and profile files.
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::PublicBody => "public_body",
            Actor::Business => "business",
            Actor::Article58 => "article58",
        }
    }

    /// The Japanese term.
    pub fn label(self) -> &'static str {
        match self {
            Actor::PublicBody => "行政機関等",
            Actor::Business => "個人情報取扱事業者",
            Actor::Article58 => "法58条法人",
        }
    }

    /// Parse the word of a job or profile file.
    pub fn parse(s: &str) -> Option<Actor> {
        Actor::ALL.into_iter().find(|a| a.as_str() == s)
    }
}
