//! The residual scan's check of each row's own identifiers, on a cluster: whether a released
//! text cell of a row (kept text outside the key and the sensitive columns) holds one of that
//! row's identifier values, as pass 1 checks it (`run::encode`, with the same comparison). A
//! per-row function: the executors run it over the rows they read; the first row found fails
//! the run, naming the columns, never the value or the row (rows are not numbered across parts).

use crate::error::EngineError;
use crate::run::encode::{holds_identifier, own_identifier_error};
use arrow::array::{Array, StringArray};
use tokumei_rules::Plan;

/// Which texts are checked against which identifiers, for one job.
#[derive(Debug, Clone, Default)]
pub struct OwnCheck {
    /// Input columns of the identifier values, with their rule names.
    identifiers: Vec<(usize, String)>,
    /// Released text columns checked: (plan column, input column, name).
    checked: Vec<(usize, usize, String)>,
}

impl OwnCheck {
    /// The check of `plan`'s released kept text (none when nothing is checked).
    pub fn of(plan: &Plan) -> OwnCheck {
        let name_of = |input: usize| {
            plan.columns.iter().find(|c| c.input_index == input).map(|c| c.name.clone()).unwrap_or_default()
        };
        let identifiers = crate::run::layout::identifier_inputs(plan).into_iter().map(|i| (i, name_of(i))).collect();
        let checked = plan
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.output.is_some() && crate::run::layout::is_checked(c))
            .map(|(p, c)| (p, c.input_index, c.name.clone()))
            .collect();
        OwnCheck { identifiers, checked }
    }

    /// Whether there is anything to check.
    pub fn is_empty(&self) -> bool {
        self.checked.is_empty() || self.identifiers.is_empty()
    }

    /// The identifiers' input columns, in the order [`OwnCheck::check`] takes their values.
    pub fn identifiers(&self) -> Vec<usize> {
        self.identifiers.iter().map(|(i, _)| *i).collect()
    }

    /// The checked columns (plan column, input column), in the order [`OwnCheck::check`] takes
    /// their released cells.
    pub fn checked(&self) -> Vec<(usize, usize)> {
        self.checked.iter().map(|(p, i, _)| (*p, *i)).collect()
    }

    /// Check each row: `ids` the identifiers' values (raw input text), `cells` the checked
    /// columns' released text. The first row whose text holds one of its identifier values is
    /// an error naming both columns.
    pub fn check(&self, ids: &[StringArray], cells: &[StringArray]) -> Result<(), EngineError> {
        if ids.len() != self.identifiers.len() || cells.len() != self.checked.len() {
            return Err(EngineError::Internal("the own-identifier check's columns do not match".into()));
        }
        let rows = ids.first().map_or(0, Array::len);
        for row in 0..rows {
            for (values, (_, id_name)) in ids.iter().zip(&self.identifiers) {
                if values.is_null(row) {
                    continue;
                }
                let id = values.value(row).trim();
                if id.len() < 4 {
                    continue; // fewer than 4 bytes: fewer than 4 characters
                }
                let mut long_enough = None;
                for (texts, (_, _, name)) in cells.iter().zip(&self.checked) {
                    if !texts.is_null(row) && holds_identifier(texts.value(row), id, &mut long_enough) {
                        return Err(own_identifier_error("the cluster's input", name, id_name));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let rules = "version = 1\ndataset = \"t\"\nmode = \"anonymized\"\nsubject = \"宛名番号\"\n[privacy]\nk = 2\nmax_suppression = 0.05\n\
            [[column]]\nname = \"宛名番号\"\nrole = \"linking_code\"\naction = \"drop\"\n\
            [[column]]\nname = \"氏名\"\nrole = \"direct_identifier\"\naction = \"drop\"\n\
            [[column]]\nname = \"続柄\"\nrole = \"insensitive\"\naction = \"keep\"\n";
        let header: Vec<String> = ["宛名番号", "氏名", "続柄"].iter().map(|s| s.to_string()).collect();
        tokumei_rules::validate_rules(std::path::Path::new("t.toml"), rules, &header).unwrap()
    }

    #[test]
    fn a_row_whose_kept_text_holds_its_own_name_is_found_another_rows_is_not() {
        let check = OwnCheck::of(&plan());
        assert_eq!(check.identifiers(), [0, 1]);
        assert_eq!(check.checked(), [(2, 2)]);
        let ids = [StringArray::from(vec!["0001", "0002"]), StringArray::from(vec!["山田太郎", "鈴木花子"])];
        // 鈴木花子's row mentions 山田太郎 (another row's name: the scan of all keys finds that);
        // a name of 3 characters is too short to look for.
        let fine = [StringArray::from(vec![Some("世帯主"), Some("山田太郎の妻")])];
        assert!(check.check(&ids, &fine).is_ok());
        let own = [StringArray::from(vec![Some("世帯主"), Some("妻 鈴木花子")])];
        let e = check.check(&ids, &own).unwrap_err().to_string();
        assert!(e.contains("column `続柄` would release the value of identifier column `氏名`"), "{e}");
        assert!(!e.contains("鈴木"), "{e}");
        let short = [StringArray::from(vec!["0001", "0002"]), StringArray::from(vec!["山田太", "鈴木花"])];
        assert!(check.check(&short, &[StringArray::from(vec![Some("山田太"), None])]).is_ok());
        assert!(check.check(&ids, &[]).is_err(), "columns that do not match");
    }
}
