//! What `tokumei risk` prints: the re-identification risk of a table over its quasi-identifiers.

use tokumei_anon::risk::Risk;

/// The risk measures, the class-size histogram and the combinations making records unique.
pub fn table(r: &Risk) -> String {
    let mut out = String::new();
    let s = &mut out;
    put!(s, "records                     {}", r.records);
    put!(s, "equivalence classes         {}", r.classes);
    put!(s, "smallest class (k)          {}", r.min_class_size);
    put!(s, "sample uniques              {} ({:.2}%)", r.sample_uniques, r.sample_uniqueness * 100.0);
    put!(s, "prosecutor risk  highest    {:.4}", r.prosecutor_max);
    put!(s, "                 average    {:.4}", r.prosecutor_avg);
    put!(
        s,
        "                 at risk    {:.2}% of records above {}",
        r.prosecutor_records_at_risk * 100.0,
        r.threshold
    );
    put!(s, "journalist risk  highest    {:.4} (population {})", r.journalist_max, r.population);
    put!(s, "                 average    {:.4}", r.journalist_avg);
    put!(s, "marketer risk               {:.4}", r.marketer);
    for (col, l) in &r.l_min {
        put!(s, "distinct l of {col:<14}{l}");
    }
    put!(s, "\nclass size   classes   records");
    for b in &r.histogram {
        put!(s, "{:<12} {:>8} {:>9}", b.sizes, b.classes, b.records);
    }
    put!(s, "\ncombinations making records unique (most first)");
    for c in r.combinations.iter().filter(|c| c.unique_records > 0).take(15) {
        put!(s, "{:>9} uniques  {:>9} distinct  {}", c.unique_records, c.distinct, c.columns.join(", "));
    }
    out
}
