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

/// Municipality names in which 市/町/村 occurs before the final suffix, so the first
/// suffix is not the end of the name.
const INNER_SUFFIX_NAMES: &[&str] = &[
    "四日市市",
    "廿日市市",
    "野々市市",
    "大町市",
    "十日町市",
    "羽村市",
    "東村山市",
    "武蔵村山市",
    "田村市",
    "村山市",
    "村上市",
    "大村市",
    "町田市",
    "市川市",
    "市原市",
    "上市町",
    "市貝町",
    "八日市場市",
    "余市町",
    "大和村",
    "東村",
    "西村",
    "中村",
    "北村",
    "玉村町",
    "木曽町",
];

/// `都道府県` + `市区町村` prefix of an address (e.g. `東京都千代田区`, `北海道余市郡余市町`,
/// `神奈川県横浜市` for a ward of a designated city): the municipality of the built-in list,
/// spelled as the list spells it (with its 郡 even where the address leaves it out), else, for a
/// name the list does not hold (a municipality since merged away), the address up to the first
/// 市/区/町/村 after the prefecture (and its 郡). `None` when no prefecture or municipality
/// suffix is found.
pub fn municipality_of_address(address: &str) -> Option<String> {
    if let Ok(m) = crate::address::parse_municipality(address) {
        return Some(m.label());
    }
    let a = address.trim_start();
    let pref = prefecture_of_address(a)?;
    let rest = &a[pref.len()..];
    // Optional 郡 (district) before a 町/村.
    let (gun, rest) = match rest.find('郡') {
        Some(i) if rest[..i].chars().count() <= 4 && i > 0 => rest.split_at(i + '郡'.len_utf8()),
        _ => ("", rest),
    };
    for name in INNER_SUFFIX_NAMES {
        if rest.starts_with(name) {
            return Some(format!("{pref}{gun}{name}"));
        }
    }
    let mut seen = 0;
    for (i, c) in rest.char_indices() {
        if seen >= 1 && matches!(c, '市' | '区' | '町' | '村') {
            let end = i + c.len_utf8();
            return Some(format!("{pref}{gun}{}", &rest[..end]));
        }
        seen += 1;
        if seen > 8 {
            break;
        }
    }
    None
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

    #[test]
    fn municipalities() {
        assert_eq!(municipality_of_address("東京都千代田区千代田1-1").as_deref(), Some("東京都千代田区"));
        assert_eq!(municipality_of_address("神奈川県横浜市中区山下町1").as_deref(), Some("神奈川県横浜市"));
        assert_eq!(municipality_of_address("三重県四日市市諏訪町1-5").as_deref(), Some("三重県四日市市"));
        assert_eq!(municipality_of_address("北海道余市郡余市町黒川町").as_deref(), Some("北海道余市郡余市町"));
        assert_eq!(municipality_of_address("東京都町田市森野2-2").as_deref(), Some("東京都町田市"));
        assert_eq!(municipality_of_address("長野県").as_deref(), None);
        // From the list: the 郡 added, names with 郡 or 市 inside kept whole.
        assert_eq!(municipality_of_address("北海道余市町黒川町").as_deref(), Some("北海道余市郡余市町"));
        assert_eq!(municipality_of_address("福岡県小郡市小郡255").as_deref(), Some("福岡県小郡市"));
        assert_eq!(municipality_of_address("奈良県大和郡山市北郡山町").as_deref(), Some("奈良県大和郡山市"));
        // A name the list does not hold (merged in 2003) is still cut at its suffix.
        assert_eq!(municipality_of_address("静岡県清水市旭町6-8").as_deref(), Some("静岡県清水市"));
    }
}
