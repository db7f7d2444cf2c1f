//! Prefectures (JIS X 0401) and address prefixes.

/// The 47 prefectures in JIS X 0401 order: index + 1 is the prefecture code.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// The eight regions (地方) and the prefecture codes in each.
pub const REGIONS: [(&str, std::ops::RangeInclusive<u32>); 8] = [
    ("北海道地方", 1..=1),
    ("東北地方", 2..=7),
    ("関東地方", 8..=14),
    ("中部地方", 15..=23),
    ("近畿地方", 24..=30),
    ("中国地方", 31..=35),
    ("四国地方", 36..=39),
    ("九州・沖縄地方", 40..=47),
];

/// Region (地方) of a prefecture code.
pub fn region_of_prefecture(code: u32) -> Option<&'static str> {
    REGIONS.iter().find(|(_, r)| r.contains(&code)).map(|(n, _)| *n)
}

/// Prefecture code (1..=47) of a prefecture name.
pub fn prefecture_code(name: &str) -> Option<u32> {
    static CODES: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, u32>> =
        std::sync::LazyLock::new(|| PREFECTURES.iter().enumerate().map(|(i, p)| (*p, i as u32 + 1)).collect());
    CODES.get(name).copied()
}

/// Prefecture name for a 2-digit prefecture code (1..=47).
pub fn prefecture_name(code: u32) -> Option<&'static str> {
    PREFECTURES.get((code as usize).checked_sub(1)?).copied()
}

/// The prefecture an address starts with, if any.
pub fn prefecture_of_address(address: &str) -> Option<&'static str> {
    // The first two characters tell the 47 prefectures apart: one lookup, one comparison.
    static BY_PREFIX: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, &'static str>> =
        std::sync::LazyLock::new(|| PREFECTURES.iter().map(|p| (two_chars(p), *p)).collect());
    let a = address.trim_start();
    let p = BY_PREFIX.get(two_chars(a))?;
    a.starts_with(p).then_some(*p)
}

/// The first two characters of `s` (all of it when shorter).
fn two_chars(s: &str) -> &str {
    let end = s.char_indices().nth(2).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefectures() {
        assert_eq!(prefecture_name(13), Some("東京都"));
        assert_eq!(prefecture_name(0), None);
        assert_eq!(prefecture_name(48), None);
        assert_eq!(prefecture_of_address("神奈川県横浜市中区1-1"), Some("神奈川県"));
        assert_eq!(prefecture_of_address("横浜市"), None);
        assert_eq!(region_of_prefecture(prefecture_code("香川県").unwrap()), Some("四国地方"));
        assert_eq!(region_of_prefecture(47), Some("九州・沖縄地方"));
        assert_eq!(prefecture_of_address("　京都府京都市"), Some("京都府"));
        assert_eq!(prefecture_of_address("東京"), None);
        for (i, p) in PREFECTURES.iter().enumerate() {
            assert_eq!(prefecture_code(p), Some(i as u32 + 1));
            assert_eq!(prefecture_name(i as u32 + 1), Some(*p));
        }
        assert_eq!(prefecture_code("東京"), None);
        assert_eq!(prefecture_of_address("東"), None);
        assert_eq!(prefecture_of_address(""), None);
    }

    proptest::proptest! {
        /// The two-character index finds what a scan of the list finds.
        #[test]
        fn the_prefix_index_agrees_with_a_scan(
            p in 0usize..48,
            cut in 0usize..5,
            lead in "[ 　]{0,2}",
            tail in "[0-9０-９一-龥ｱ-ﾝ県都府道市 -]{0,8}",
        ) {
            let name = PREFECTURES.get(p).copied().unwrap_or("横浜市");
            let prefix: String = name.chars().take(cut.max(1)).collect();
            for a in [format!("{lead}{name}{tail}"), format!("{lead}{prefix}{tail}"), format!("{prefix}{lead}{tail}")] {
                let scan = PREFECTURES.iter().copied().find(|q| a.trim_start().starts_with(q));
                proptest::prop_assert_eq!(prefecture_of_address(&a), scan, "{}", a);
            }
        }
    }
}
