//! Numbers JSON cannot hold: a measure that is not a number (NaN, an infinity) is written as
//! `null`, and read back as NaN, so such a report still reads.

use serde::{Deserialize, Deserializer};

/// A number, or NaN for `null`.
pub(crate) fn or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::or_nan")]
        x: f64,
    }

    #[test]
    fn null_reads_as_nan() {
        assert!(serde_json::from_str::<T>(r#"{"x": null}"#).unwrap().x.is_nan());
        assert_eq!(serde_json::from_str::<T>(r#"{"x": 1.5}"#).unwrap().x, 1.5);
        assert!(serde_json::from_str::<T>(r#"{"x": "1"}"#).is_err());
    }
}
