"""Independent check of tokumei's perturbations (issue 32), in numpy/pandas, as sdcMicro defines them.

    check_perturb.py INPUT_CSV RELEASE_PARQUET SPEC_JSON

INPUT_CSV is the input (UTF-8, a header, a record number column); RELEASE_PARQUET the released file
of a pseudonymised run that keeps that record number; SPEC_JSON says which column had which action:

    {"rid": "rid", "k": 5, "columns": [
        {"name": "課税所得", "action": "microaggregate", "group_size": 5, "aggregate": "mean", "type": "integer"},
        {"name": "課税所得", "action": "noise", "scale": 0.2, "round": 1000, "min": 0, "type": "integer"},
        {"name": "生年月日", "action": "swap", "window": 5, "within": ["性別"], "type": "date"},
        {"name": "要介護度", "action": "pram", "keep": 0.8, "within": ["性別"]}]}

A `within` column released under another name (or generalised) names its released column in
"strata" (e.g. "within": ["生年月日"], "strata": ["年齢階級"]): records exchange only within a
stratum of the released values. Noise columns with the same "together" name had correlated noise
(sdcMicro addNoise "correlated"): the noise's covariance is scale² times the input's.

Nothing here calls tokumei: every claim is recomputed from the two files. Prints "ok: ..." lines
and exits 0, or prints the failed check and exits 1.
"""

import json
import re
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

failures = []


def check(ok, what):
    if ok:
        print(f"ok: {what}")
    else:
        print(f"FAILED: {what}")
        failures.append(what)


ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
WAREKI = re.compile(r"^(明治|大正|昭和|平成|令和)(元|\d+)年(\d+)月(\d+)日$")


def iso(text):
    """A date as municipal extracts write it (2003-11-10, 2003/1/5, 昭和58年1月31日, 平成元年...),
    as YYYY-MM-DD; None when it is not one."""
    if not isinstance(text, str):
        return None
    m = WAREKI.match(text.strip())
    if m:
        era, y, mo, d = m.groups()
        year = ERAS[era] + (1 if y == "元" else int(y)) - 1
        return f"{year:04d}-{int(mo):02d}-{int(d):02d}"
    parts = re.split(r"[-/]", text.strip())
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return None


def numeric(series, kind):
    """A column as float: integers as numbers, dates as days since 1970-01-01."""
    if kind == "date":
        days = pd.to_datetime(series.map(iso), format="%Y-%m-%d", errors="coerce") - pd.Timestamp("1970-01-01")
        return days.dt.days.astype("float64")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def released_numeric(series, kind):
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            return (series - pd.Timestamp("1970-01-01")).dt.days.astype("float64")
        return numeric(series.astype("string"), "date")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def microaggregate(both, c):
    """sdcMicro `microaggregation`: every released value is shared by at least group_size records,
    and is the mean (median) of the input values of the records that share it; one input value
    gives one output value (univariate, ties never split); the total is kept (means)."""
    name, g = c["name"], c["group_size"]
    x, y = both[name + "_in"], both[name + "_out"]
    held = y.notna()
    counts = y[held].value_counts()
    check(counts.min() >= g, f"{name}: every released value is shared by >= {g} records (smallest {counts.min()})")
    per_in = both[held].groupby(name + "_in")[name + "_out"].nunique()
    check(per_in.max() == 1, f"{name}: one input value, one released value")
    agg = "median" if c.get("aggregate") == "median" else "mean"
    groups = both[held].groupby(name + "_out")[name + "_in"].agg(agg)
    tol = 0.5 + 1e-9 if c.get("type", "integer") in ("integer", "date") else 1e-6
    # Two groups with the same released value form one group here: its mean is still that value.
    worst = float(np.max(np.abs(groups.index.to_numpy() - groups.to_numpy()))) if agg == "mean" else 0.0
    if agg == "mean":
        check(worst <= tol, f"{name}: each released value is its records' input mean (worst {worst:.3f})")
        gap = abs(float(y[held].sum()) - float(x[held].sum())) / held.sum()
        check(gap <= 0.5, f"{name}: the mean is kept (per record {gap:.4f})")
    # Groups are runs of the sorted input: no two groups interleave.
    spans = both[held].groupby(name + "_out")[name + "_in"].agg(["min", "max"]).sort_values("min")
    overlap = (spans["min"].to_numpy()[1:] < spans["max"].to_numpy()[:-1]).sum()
    check(overlap == 0, f"{name}: groups are contiguous in value order ({overlap} overlaps)")
    check(y[held].var() <= x[held].var() + 1e-9, f"{name}: variance does not grow (sdcMicro: within-group variance removed)")


def noise(both, c):
    """sdcMicro `addNoise` (additive): released - input is noise of sd scale * sd(input), mean ~0;
    rounded to `round`, clamped to [min, max]."""
    name, s = c["name"], c["scale"]
    x, y = both[name + "_in"], both[name + "_out"]
    held = x.notna() & y.notna()
    x, y = x[held], y[held]
    lo, hi = c.get("min"), c.get("max")
    if lo is not None:
        check(y.min() >= lo, f"{name}: nothing below min {lo}")
    if hi is not None:
        check(y.max() <= hi, f"{name}: nothing above max {hi}")
    r = c.get("round", 1)
    check(bool(np.all(np.mod(y, r) == 0)), f"{name}: every value a multiple of {r}")
    # Clamping at a bound truncates the noise of the records near it: judge the noise on the
    # records whose input lies more than 4 noise standard deviations inside the bounds.
    reach = 4 * (s * float(np.std(x, ddof=1)) if c.get("kind", "additive") == "additive" else s * np.abs(x))
    inside = np.ones(len(y), dtype=bool)
    if lo is not None:
        inside &= (x - lo > reach).to_numpy()
    if hi is not None:
        inside &= (hi - x > reach).to_numpy()
    d = (y - x).to_numpy()[inside]
    if c.get("kind", "additive") == "multiplicative":
        keep = x.to_numpy()[inside] != 0
        e = d[keep] / x.to_numpy()[inside][keep]
        want, got = s, float(np.std(e, ddof=1))
        rounding = r / max(float(np.median(np.abs(x.to_numpy()[inside][keep]))), 1.0)
    else:
        want, got = s * float(np.std(x, ddof=1)), float(np.std(d, ddof=1))
        rounding = r / np.sqrt(12)
    # The sd of a sample of n normals has a standard error of sd/sqrt(2n); rounding adds r^2/12.
    n = len(d)
    expect = float(np.sqrt(want**2 + rounding**2))
    check(abs(got - expect) <= 4 * expect / np.sqrt(2 * n) + rounding,
          f"{name}: noise sd {got:.4g} against scale x sd = {want:.4g} (n = {n})")
    check(abs(float(np.mean(d))) <= 4 * expect / np.sqrt(n) + rounding, f"{name}: noise mean {np.mean(d):.4g} ~ 0")


def strata(both, c):
    """The records of each stratum: by the released values of the `within` columns (their
    released names in "strata" when given)."""
    keys = [k if k in both else k + "_out" for k in c.get("strata") or []]
    keys = keys or [w + "_out" for w in c.get("within") or []]
    if not keys:
        return [both]
    return [g for _, g in both.groupby(keys, dropna=False)]


def swap(both, c):
    """sdcMicro `rankSwap`: the released values are a permutation of the input's (within each
    stratum), each record's value comes from a record at most window% of the records away in rank."""
    name, p = c["name"], c["window"]
    for part in strata(both, c):
        x, y = part[name + "_in"], part[name + "_out"]
        a, b = x.dropna().value_counts(), y.dropna().value_counts()
        if not a.sort_index().equals(b.sort_index()):
            diff = a.sub(b, fill_value=0)
            diff = diff[diff != 0]
            check(False, f"{name}: a stratum's values are a permutation of its input's "
                  f"({len(x)} records, {len(diff)} values counted differently, e.g. {diff.head(3).to_dict()})")
            return
    check(True, f"{name}: every stratum's released values are a permutation of its input values ({len(strata(both, c))} strata)")
    changed, worst, n_all = 0, 0.0, 0
    for part in strata(both, c):
        x, y = part[name + "_in"].to_numpy(), part[name + "_out"].to_numpy()
        ok = ~np.isnan(x) & ~np.isnan(y)
        x, y = x[ok], y[ok]
        n = len(x)
        if n == 0:
            continue
        n_all += n
        srt = np.sort(x)
        # A value's ranks are the positions it takes in the sorted column (ties: a range).
        lo_y, hi_y = np.searchsorted(srt, y, "left"), np.searchsorted(srt, y, "right") - 1
        lo_x, hi_x = np.searchsorted(srt, x, "left"), np.searchsorted(srt, x, "right") - 1
        dist = np.maximum(0, np.maximum(lo_y - hi_x, lo_x - hi_y))
        worst = max(worst, float(dist.max()) / n)
        changed += int((x != y).sum())
    check(worst <= p / 100 + 1e-9, f"{name}: ranks exchanged at most {p}% apart (worst {100 * worst:.2f}%)")
    check(changed > 0, f"{name}: {changed} of {n_all} records got another value")


def pram(both, c):
    """sdcMicro `pram` (invariant): the released categories' counts equal the input's (within each
    stratum), and about (1 - keep) of the records were redrawn."""
    name, keep = c["name"], c["keep"]
    for part in strata(both, c):
        a = part[name + "_in"].fillna("<NA>").value_counts().sort_index()
        b = part[name + "_out"].fillna("<NA>").value_counts().sort_index()
        if not a.equals(b):
            check(False, f"{name}: a stratum's category counts are kept (input {a.to_dict()}, released {b.to_dict()})")
            return
    check(True, f"{name}: category counts kept exactly in every stratum")
    x, y = both[name + "_in"].fillna("<NA>"), both[name + "_out"].fillna("<NA>")
    changed = float((x != y).mean())
    # A redrawn record keeps its category with the probability of drawing its own among the redrawn.
    pi = x.value_counts(normalize=True)
    expect = (1 - keep) * (1 - float((pi**2).sum()))
    n = len(x)
    se = np.sqrt(max(expect * (1 - expect), 1e-9) / n)
    check(changed > 0, f"{name}: some records changed")
    check(abs(changed - expect) <= 5 * se + 0.25 * expect,
          f"{name}: {100 * changed:.2f}% of records changed, expected about {100 * expect:.2f}%")


def noise_together(both, cs):
    """sdcMicro `addNoise(method = "correlated")`: the noise added to the columns of one
    `together` name has covariance scale² times the input's, so each pair's noise has the
    input's correlation (judged on the records whose inputs lie well inside the bounds)."""
    s = cs[0]["scale"]
    names = [c["name"] for c in cs]
    xs = {n: both[n + "_in"] for n in names}
    held = np.ones(len(both), dtype=bool)
    for c in cs:
        x, y = both[c["name"] + "_in"], both[c["name"] + "_out"]
        held &= (x.notna() & y.notna()).to_numpy()
        reach = 4 * s * float(np.std(x.dropna(), ddof=1))
        if c.get("min") is not None:
            held &= (x - c["min"] > reach).fillna(False).to_numpy()
        if c.get("max") is not None:
            held &= (c["max"] - x > reach).fillna(False).to_numpy()
    n = int(held.sum())
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            full = pd.concat([xs[a], xs[b]], axis=1).dropna()
            sa, sb = float(np.std(full.iloc[:, 0], ddof=1)), float(np.std(full.iloc[:, 1], ddof=1))
            want = float(np.corrcoef(full.iloc[:, 0], full.iloc[:, 1])[0, 1])
            da = (both[a + "_out"] - both[a + "_in"]).to_numpy()[held]
            db = (both[b + "_out"] - both[b + "_in"]).to_numpy()[held]
            got = float(np.corrcoef(da, db)[0, 1])
            # The standard error of a sample correlation is about (1 - rho^2) / sqrt(n).
            se = (1 - want**2) / np.sqrt(n)
            check(abs(got - want) <= 5 * se,
                  f"{a} & {b}: the noise's correlation {got:.3f} is the input's {want:.3f} (n = {n}, se {se:.3f})")
            # The sample covariance of two normals has a standard error of sd_a sd_b sqrt((1 + rho^2) / n).
            cov = float(np.cov(da, db, ddof=1)[0, 1])
            target = s**2 * want * sa * sb
            se = s**2 * sa * sb * np.sqrt((1 + want**2) / n)
            check(abs(cov - target) <= 5 * se,
                  f"{a} & {b}: the noise's covariance {cov:.4g} is scale² x the input's {target:.4g} (se {se:.3g})")


def main():
    csv, parquet, spec_path = sys.argv[1:4]
    spec = json.load(open(spec_path, encoding="utf-8"))
    rid = spec["rid"]
    inp = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    out = pq.read_table(parquet).to_pandas()
    out[rid] = out[rid].astype("int64").astype(str)
    inp[rid] = inp[rid].astype(str)
    check(len(out) <= len(inp) and out[rid].is_unique, f"{len(out)} released records, each once")
    both = inp.merge(out, on=rid, suffixes=("_in", "_out"))
    check(len(both) == len(out), "every released record matched to its input record")
    for c in spec["columns"]:
        kind = c.get("type")
        for w in [] if c.get("strata") else c.get("within") or []:
            if w + "_out" not in both:
                both[w + "_out"] = both[w]
        if c["action"] == "pram":
            both[c["name"] + "_in"] = both[c["name"] + "_in"].astype("string")
            both[c["name"] + "_out"] = both[c["name"] + "_out"].astype("string")
        else:
            both[c["name"] + "_in"] = numeric(both[c["name"] + "_in"], kind)
            both[c["name"] + "_out"] = released_numeric(both[c["name"] + "_out"], kind)
        {"microaggregate": microaggregate, "noise": noise, "swap": swap, "pram": pram}[c["action"]](both, c)
    groups = {}
    for c in spec["columns"]:
        if c["action"] == "noise" and c.get("together"):
            groups.setdefault(c["together"], []).append(c)
    for cs in groups.values():
        noise_together(both, cs)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
