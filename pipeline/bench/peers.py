#!/usr/bin/env python3
"""tokumei against the floor: a plain CSV-to-Parquet copy by polars and by duckdb.

Run side by side on the same machine, in one session, on the same generated extract, so the
ratios hold even where the machine's speed varies between days:

    cargo build --release
    .venv/bin/python pipeline/bench/peers.py --rows 1000000 --rows 10000000

For each size it generates the resident-registry extract (seed 42) in UTF-8 and CP932, then runs,
alternating, `repeat` times each: `tokumei run` of rules/resident_registry.toml on the UTF-8 file
and on the CP932 file, polars `scan_csv(...).sink_parquet(...)` and duckdb `COPY ... TO ...
(FORMAT parquet)` of the UTF-8 file (both zstd, every column as text). Each run is its own process;
wall time and peak memory (ru_maxrss) are per process, and the fastest of the repeats is kept.
Prints one JSON line per size with the times, memory and the ratios tokumei / polars and tokumei /
duckdb.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

POLARS = """
import sys, polars as pl
pl.scan_csv(sys.argv[1], infer_schema=False).sink_parquet(sys.argv[2], compression="zstd")
"""

DUCKDB = """
import sys, duckdb
con = duckdb.connect()
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}', all_varchar=true, header=true)) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION zstd)")
"""


def timed(cmd, env=None):
    """Wall seconds and peak resident MiB of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def job(dir_, name, csv, out):
    path = os.path.join(dir_, f"{name}.job.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            f'version = 1\nname = "{name}"\nreference_date = "2026-04-01"\n'
            f'[input]\npath = "{csv}"\n'
            f'[rules]\npath = "{os.path.join(REPO, "rules/resident_registry.toml")}"\n'
            f'[output]\ndir = "{out}"\n[audit]\nlog = "{out}/audit.log"\n'
        )
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tokumei", default=os.path.join(REPO, "target/release/tokumei"))
    ap.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    args = ap.parse_args()
    work = args.dir or tempfile.mkdtemp(prefix="tokumei-peers-")
    os.makedirs(work, exist_ok=True)
    py = sys.executable
    for rows in args.rows or [1_000_000]:
        inputs = {}
        for enc in ("utf-8", "cp932"):
            path = os.path.join(work, f"resident_{rows}_{enc}.csv")
            if not os.path.exists(path):
                subprocess.run(
                    [args.tokumei, "sample", "resident-registry", "--rows", str(rows), "--seed", "42",
                     "--encoding", enc, "--out", path],
                    check=True, stdout=subprocess.DEVNULL,
                )
            inputs[enc] = path
        runs = {
            "tokumei_utf8": lambda: timed([args.tokumei, "run", job(work, "utf8", inputs["utf-8"], out("t8"))]),
            "tokumei_cp932": lambda: timed([args.tokumei, "run", job(work, "cp932", inputs["cp932"], out("t9"))]),
            "polars": lambda: timed([py, "-c", POLARS, inputs["utf-8"], out("pl") + "/x.parquet"]),
            "duckdb": lambda: timed([py, "-c", DUCKDB, inputs["utf-8"], out("dk") + "/x.parquet"]),
        }

        def out(name):
            d = os.path.join(work, name)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            return d

        best = {k: (float("inf"), 0.0) for k in runs}
        for _ in range(args.repeat):
            for name, run in runs.items():
                wall, mib = run()
                if wall < best[name][0]:
                    best[name] = (wall, mib)
        line = {
            "rows": rows,
            "input_mb": round(os.path.getsize(inputs["utf-8"]) / 1e6, 1),
            "cores": os.cpu_count(),
        }
        for name, (wall, mib) in best.items():
            line[f"{name}_s"] = round(wall, 3)
            line[f"{name}_peak_mib"] = round(mib)
        for t in ("tokumei_utf8", "tokumei_cp932"):
            line[f"{t}_vs_polars"] = round(best[t][0] / best["polars"][0], 2)
            line[f"{t}_vs_duckdb"] = round(best[t][0] / best["duckdb"][0], 2)
        print(json.dumps(line), flush=True)
    if not args.dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
