//! The words of the pages: a state, a stage, a kind or a status in the session's language, and
//! how far a date is.

use crate::text::Lang;
use tokumei_registry::deadline::days_between;
use tokumei_registry::{Actor, State, StoredRequest};

/// A contract state in words.
pub(crate) fn state_label(l: Lang, s: State) -> &'static str {
    match s {
        State::Received => l.t("提案受付", "proposal received"),
        State::CorrectionsRequested => l.t("補正依頼中", "corrections requested"),
        State::Reviewed => l.t("審査済み", "reviewed"),
        State::Fit => l.t("適合通知済み", "notified fit"),
        State::NotFit => l.t("不適合通知済み", "notified not fit"),
        State::FeePaid => l.t("手数料納付済み", "fee paid"),
        State::Contracted => l.t("契約締結済み", "contracted"),
        State::Created => l.t("作成済み", "created"),
        State::Provided => l.t("提供済み", "provided"),
        State::RegisterUpdated => l.t("ファイル簿更新済み（旧）", "register updated (older registries)"),
        State::UseEnded => l.t("利用期間終了", "use ended"),
        State::Closed => l.t("返還・消去確認済み", "closed"),
        State::ChangeOfUse => l.t("事業の変更を審査中（法118条）", "change of business under review (法118)"),
        State::Cancelled => l.t("契約解除", "cancelled"),
        State::Withdrawn => l.t("取下げ", "withdrawn"),
    }
}

/// An incident report's stage in words.
pub(crate) fn stage_label(l: Lang, stage: &str) -> &'static str {
    match stage {
        "preliminary" => l.t("速報", "preliminary report"),
        "final" => l.t("確報", "final report"),
        _ => l.t("報告", "report"),
    }
}

/// A release's kind in words. A public body's pseudonymised output is still personal
/// information it holds (仮名化した保有個人情報): 仮名加工情報 is a business's (法41).
pub(super) fn mode_label(l: Lang, mode: &str, actor: Actor) -> &'static str {
    match (mode, actor) {
        ("anonymized", _) => l.t("匿名加工情報", "anonymised"),
        ("pseudonymized", Actor::PublicBody) => {
            l.t("仮名化した保有個人情報", "pseudonymised personal information (held by the body)")
        }
        ("pseudonymized", _) => l.t("仮名加工情報", "pseudonymised (仮名加工情報)"),
        _ => l.t("その他", "other"),
    }
}

pub(super) fn request_kind(l: Lang, r: &StoredRequest) -> &'static str {
    use tokumei_registry::Kind as K;
    match (l, r.entry.kind) {
        (Lang::Ja, k) => k.label(),
        (Lang::En, K::Disclosure) => "disclosure",
        (Lang::En, K::Correction) => "correction",
        (Lang::En, K::Suspension) => "suspension of use",
        (Lang::En, K::OptOut) => "opt-out",
    }
}

pub(super) fn status_label(l: Lang, s: &str) -> &'static str {
    match s {
        "open" => l.t("対応中", "open"),
        "decided" => l.t("決定済み", "decided"),
        "carried_out" => l.t("実施済み", "carried out"),
        "closed" => l.t("終了", "closed"),
        "published" => l.t("公開済み", "published"),
        "publishing" => l.t("作成中（未確定）", "publishing (unsettled)"),
        "abandoned" => l.t("中止", "abandoned"),
        _ => l.t("不明", "unknown"),
    }
}

/// How far a date is: overdue, due soon, or later.
pub(super) fn urgency(today: &str, due: &str) -> (&'static str, i64) {
    let days = days_between(today, due).unwrap_or(0);
    (
        if days < 0 {
            "overdue"
        } else if days <= 7 {
            "soon"
        } else {
            "later"
        },
        days,
    )
}

pub(super) fn days_text(l: Lang, days: i64) -> String {
    match (l, days) {
        (Lang::Ja, d) if d < 0 => format!("{}日超過", -d),
        (Lang::Ja, 0) => "本日".into(),
        (Lang::Ja, d) => format!("あと{d}日"),
        (Lang::En, d) if d < 0 => format!("{} days overdue", -d),
        (Lang::En, 0) => "today".into(),
        (Lang::En, d) => format!("{d} days left"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_by_days() {
        assert_eq!(urgency("2027-01-10", "2027-01-09"), ("overdue", -1));
        assert_eq!(urgency("2027-01-10", "2027-01-17"), ("soon", 7));
        assert_eq!(urgency("2027-01-10", "2027-02-17").0, "later");
    }
}
