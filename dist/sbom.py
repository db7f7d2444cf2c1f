#!/usr/bin/env python3
"""The SBOM (CycloneDX 1.5 JSON) and the licence list of a source tree with vendored crates.

Reads Cargo.lock (the list of what is built), the vendored crates' Cargo.toml and
.cargo-checksum.json files (`cargo vendor` output) and the workspace's own Cargo.toml files.
Python standard library only (3.11+, for tomllib): it runs on the connected machine that makes
the bundle, with no package to install.

Fails closed: every package in Cargo.lock must be found (a vendored crate whose name and version
match, or a workspace member), a vendored crate's package checksum must equal the lock's, and
every package must declare a licence (`license`, an SPDX expression; a crate with only a
`license-file` is listed with a LicenseRef and flagged for review). Anything else, or a
vendored crate that Cargo.lock does not name, stops the run with exit code 1 and every problem
named; no file is written then.

Usage:
  sbom.py --root DIR [--vendor DIR] [--commit SHA] [--timestamp ISO8601]
          --sbom FILE --tsv FILE --md FILE
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import sys
import tomllib
import uuid
from collections import Counter

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
TOOL_NAME = "tokumei dist/sbom.py"

# An SPDX licence expression as cargo accepts it: identifiers (letters, digits, '.', '-', '+',
# LicenseRef-...), AND / OR / WITH and parentheses.
SPDX_TOKEN = re.compile(r"\(|\)|[A-Za-z0-9.+-]+")


class Problems(Exception):
    """Everything that stops the SBOM, listed together."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def normalise_licence(raw: str) -> str:
    """An SPDX expression for a crate's `license` field; the old `MIT/Apache-2.0` means OR.

    Raises ValueError when the field is not an expression of SPDX-like tokens."""
    text = raw.strip()
    if "/" in text:
        text = " OR ".join(part.strip() for part in text.split("/"))
    tokens = SPDX_TOKEN.findall(text)
    if not text or "".join(tokens) != re.sub(r"\s+", "", text):
        raise ValueError(f"not an SPDX licence expression: {raw!r}")
    depth = 0
    expect_operand = True
    for tok in tokens:
        if tok == "(":
            if not expect_operand:
                raise ValueError(f"not an SPDX licence expression: {raw!r}")
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth < 0 or expect_operand:
                raise ValueError(f"not an SPDX licence expression: {raw!r}")
        elif tok in ("AND", "OR", "WITH"):
            if expect_operand:
                raise ValueError(f"not an SPDX licence expression: {raw!r}")
            expect_operand = True
        else:
            if not expect_operand:
                raise ValueError(f"not an SPDX licence expression: {raw!r}")
            expect_operand = False
    if depth != 0 or expect_operand:
        raise ValueError(f"not an SPDX licence expression: {raw!r}")
    return " ".join(text.split())


def purl(name: str, version: str) -> str:
    """The package URL of a crate: pkg:cargo/NAME@VERSION ('+' in a version percent-encoded, as
    the purl specification asks)."""
    return f"pkg:cargo/{name}@{version.replace('+', '%2B')}"


def read_lock(path: str) -> list[dict]:
    """The packages of Cargo.lock, in its order."""
    with open(path, "rb") as f:
        lock = tomllib.load(f)
    packages = lock.get("package")
    if not isinstance(packages, list) or not packages:
        raise Problems([f"{path}: no [[package]] entries"])
    return packages


def workspace_manifests(root: str) -> dict[tuple[str, str], dict]:
    """The workspace's own packages by (name, version): the root package and every member
    glob of `[workspace] members`, with `*.workspace = true` fields taken from
    `[workspace.package]`."""
    with open(os.path.join(root, "Cargo.toml"), "rb") as f:
        top = tomllib.load(f)
    ws = top.get("workspace", {})
    inherited = ws.get("package", {})
    paths = [os.path.join(root, "Cargo.toml")]
    for pattern in ws.get("members", []):
        for d in sorted(glob.glob(os.path.join(root, pattern))):
            manifest = os.path.join(d, "Cargo.toml")
            if os.path.isfile(manifest):
                paths.append(manifest)
    found: dict[tuple[str, str], dict] = {}
    for manifest in paths:
        with open(manifest, "rb") as f:
            pkg = tomllib.load(f).get("package")
        if not pkg:
            continue
        resolved = {}
        for key, value in pkg.items():
            if isinstance(value, dict) and value.get("workspace") is True:
                if key not in inherited:
                    raise Problems([f"{manifest}: {key}.workspace = true but [workspace.package] has no {key}"])
                value = inherited[key]
            resolved[key] = value
        resolved["_manifest"] = os.path.relpath(manifest, root)
        found[(resolved["name"], resolved["version"])] = resolved
    return found


def vendored_crates(vendor: str) -> dict[tuple[str, str], dict]:
    """The vendored crates by (name, version): their [package] table, directory and the package
    checksum `cargo vendor` recorded."""
    found: dict[tuple[str, str], dict] = {}
    for d in sorted(os.listdir(vendor)):
        path = os.path.join(vendor, d)
        if not os.path.isdir(path):
            continue
        with open(os.path.join(path, "Cargo.toml"), "rb") as f:
            pkg = dict(tomllib.load(f)["package"])
        with open(os.path.join(path, ".cargo-checksum.json"), "rb") as f:
            pkg["_checksum"] = json.load(f).get("package")
        pkg["_manifest"] = os.path.relpath(os.path.join(path, "Cargo.toml"), os.path.dirname(vendor))
        key = (pkg["name"], pkg["version"])
        if key in found:
            raise Problems([f"{vendor}: {key[0]} {key[1]} vendored twice"])
        found[key] = pkg
    return found


def dependency_refs(packages: list[dict]) -> dict[tuple[str, str], list[str]]:
    """Each package's direct dependencies as purls, from Cargo.lock's `dependencies`
    ("name", "name version" or "name version (source)")."""
    versions: dict[str, list[str]] = {}
    for p in packages:
        versions.setdefault(p["name"], []).append(p["version"])
    out: dict[tuple[str, str], list[str]] = {}
    problems = []
    for p in packages:
        refs = []
        for dep in p.get("dependencies", []):
            parts = dep.split(" ")
            name = parts[0]
            if len(parts) >= 2:
                version = parts[1]
            elif len(versions.get(name, [])) == 1:
                version = versions[name][0]
            else:
                problems.append(f"Cargo.lock: {p['name']} {p['version']} depends on {dep!r}, which names no one package")
                continue
            refs.append(purl(name, version))
        out[(p["name"], p["version"])] = sorted(refs)
    if problems:
        raise Problems(problems)
    return out


def build(root: str, vendor: str | None, commit: str | None, timestamp: str | None) -> tuple[dict, list[dict]]:
    """The CycloneDX document and the licence rows; raises Problems with every problem found."""
    lock_path = os.path.join(root, "Cargo.lock")
    packages = read_lock(lock_path)
    local = workspace_manifests(root)
    vendored = vendored_crates(vendor) if vendor else {}
    deps = dependency_refs(packages)
    problems: list[str] = []
    rows: list[dict] = []
    components: list[dict] = []
    root_component = None
    seen: set[tuple[str, str]] = set()
    with open(os.path.join(root, "Cargo.toml"), "rb") as f:
        root_name = tomllib.load(f).get("package", {}).get("name")

    for p in packages:
        name, version = p.get("name"), p.get("version")
        if not name or not version:
            problems.append(f"Cargo.lock: a [[package]] without a name or version: {p!r}")
            continue
        key = (name, version)
        if key in seen:
            problems.append(f"Cargo.lock: {name} {version} listed twice")
            continue
        seen.add(key)
        source = p.get("source")
        checksum = p.get("checksum")
        if source is None:
            manifest = local.get(key)
            origin = "workspace"
            if manifest is None:
                problems.append(f"{name} {version}: in Cargo.lock without a source, but no workspace member has that name and version")
                continue
        elif source == CRATES_IO:
            origin = "crates.io"
            if not checksum or not re.fullmatch(r"[0-9a-f]{64}", checksum):
                problems.append(f"{name} {version}: Cargo.lock has no SHA-256 checksum for it")
                continue
            if vendor is None:
                problems.append(f"{name} {version}: no vendor directory given (--vendor)")
                continue
            manifest = vendored.get(key)
            if manifest is None:
                problems.append(f"{name} {version}: in Cargo.lock but not vendored")
                continue
            if manifest["_checksum"] != checksum:
                problems.append(
                    f"{name} {version}: vendored package checksum {manifest['_checksum']} is not Cargo.lock's {checksum}"
                )
                continue
        else:
            problems.append(f"{name} {version}: source {source!r} is not crates.io (git and other registries are not supported)")
            continue

        raw = manifest.get("license")
        licence_file = manifest.get("license-file")
        flagged = ""
        if isinstance(raw, str) and raw.strip():
            try:
                expression = normalise_licence(raw)
            except ValueError as e:
                problems.append(f"{name} {version}: {e} ({manifest['_manifest']})")
                continue
            licences = [{"expression": expression}]
        elif isinstance(licence_file, str) and licence_file.strip():
            expression = f"LicenseRef-file:{licence_file}"
            flagged = f"no SPDX licence; licence text in {licence_file}: review it"
            licences = [{"license": {"name": expression}}]
        else:
            problems.append(f"{name} {version}: declares no licence (neither license nor license-file in {manifest['_manifest']})")
            continue

        ref = purl(name, version)
        component = {
            "type": "application" if name == root_name and origin == "workspace" else "library",
            "bom-ref": ref,
            "name": name,
            "version": version,
            "purl": ref,
            "licenses": licences,
        }
        if manifest.get("description"):
            component["description"] = " ".join(str(manifest["description"]).split())
        if checksum:
            component["hashes"] = [{"alg": "SHA-256", "content": checksum}]
        properties = [{"name": "tokumei:origin", "value": origin}]
        if flagged:
            properties.append({"name": "tokumei:licence-review", "value": flagged})
        component["properties"] = properties
        if manifest.get("repository"):
            component["externalReferences"] = [{"type": "vcs", "url": str(manifest["repository"])}]
        rows.append(
            {
                "crate": name,
                "version": version,
                "licence": expression,
                "origin": origin,
                "sha256": checksum or "",
                "flag": flagged,
            }
        )
        if name == root_name and origin == "workspace":
            root_component = component
        else:
            components.append(component)

    for key in sorted(set(vendored) - seen):
        problems.append(f"{key[0]} {key[1]}: vendored but not in Cargo.lock")
    if root_component is None and not problems:
        problems.append(f"the root package {root_name!r} is not in Cargo.lock")
    if problems:
        raise Problems(problems)

    with open(lock_path, "rb") as f:
        lock_sha = hashlib.sha256(f.read()).hexdigest()
    # The same inputs give the same document (a bundle made twice is the same bundle).
    serial = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:tokumei:sbom:{root_name}:{commit or ''}:{lock_sha}")
    metadata = {
        "tools": {"components": [{"type": "application", "name": TOOL_NAME}]},
        "component": root_component,
        "properties": [{"name": "tokumei:cargo-lock-sha256", "value": lock_sha}],
    }
    if timestamp:
        metadata = {"timestamp": timestamp, **metadata}
    if commit:
        metadata["properties"].append({"name": "tokumei:git-commit", "value": commit})
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": [
            {"ref": purl(p["name"], p["version"]), "dependsOn": deps[(p["name"], p["version"])]} for p in packages
        ],
    }
    return bom, rows


def licence_ids(expression: str) -> set[str]:
    """The licence identifiers an expression names (exceptions after WITH left out)."""
    ids = set()
    tokens = SPDX_TOKEN.findall(expression)
    for i, tok in enumerate(tokens):
        if tok in ("AND", "OR", "WITH", "(", ")"):
            continue
        if i > 0 and tokens[i - 1] == "WITH":
            continue
        ids.add(tok)
    return ids


def write_tsv(path: str, rows: list[dict]) -> None:
    """licenses.tsv: one crate a line."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("crate\tversion\tlicence\torigin\tsha256\tflag\n")
        for r in sorted(rows, key=lambda r: (r["crate"], r["version"])):
            f.write("\t".join(r[k] for k in ("crate", "version", "licence", "origin", "sha256", "flag")) + "\n")


def write_md(path: str, rows: list[dict], root: dict) -> None:
    """LICENSES.md: counts per licence expression and identifier, flags, then every crate."""
    by_expr = Counter(r["licence"] for r in rows)
    by_id = Counter(i for r in rows for i in licence_ids(r["licence"]))
    flagged = [r for r in rows if r["flag"]]
    lines = [
        f"# Licences of {root['name']} {root['version']} and every crate it builds",
        "",
        f"{len(rows)} packages from Cargo.lock: {sum(r['origin'] == 'workspace' for r in rows)} of this workspace, "
        f"{sum(r['origin'] == 'crates.io' for r in rows)} vendored from crates.io. The licence is the one each crate "
        "declares in its Cargo.toml (`license`, an SPDX expression; `A/B` written as `A OR B`). C libraries "
        "compiled in by a crate (SQLite in libsqlite3-sys, zstd in zstd-sys, mimalloc in libmimalloc-sys) carry their own terms in that "
        "crate's vendored sources.",
        "",
        "## Per licence expression",
        "",
        "| licence | crates |",
        "|---|--:|",
    ]
    lines += [f"| {expr} | {n} |" for expr, n in sorted(by_expr.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += [
        "",
        "## Per licence identifier (crates whose expression names it, as one of its choices or terms)",
        "",
        "| identifier | crates |",
        "|---|--:|",
    ]
    lines += [f"| {i} | {n} |" for i, n in sorted(by_id.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "## Flagged for review", ""]
    lines += [f"- {r['crate']} {r['version']}: {r['flag']}" for r in flagged] or ["None: every crate declares an SPDX licence."]
    lines += ["", "## Every crate", "", "| crate | version | licence | origin |", "|---|---|---|---|"]
    lines += [
        f"| {r['crate']} | {r['version']} | {r['licence']} | {r['origin']} |"
        for r in sorted(rows, key=lambda r: (r["crate"], r["version"]))
    ]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    """Command line entry; exit 0 when written, 1 when refused, 2 on usage."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="the source tree: Cargo.toml, Cargo.lock, workspace members")
    ap.add_argument("--vendor", help="the `cargo vendor` directory (required when Cargo.lock has registry crates)")
    ap.add_argument("--commit", help="the git commit the source is from (recorded in the SBOM)")
    ap.add_argument("--timestamp", help="ISO 8601 time recorded in the SBOM (e.g. the commit's)")
    ap.add_argument("--sbom", required=True, help="output: CycloneDX 1.5 JSON")
    ap.add_argument("--tsv", required=True, help="output: licences, one crate a line")
    ap.add_argument("--md", required=True, help="output: licences with counts, Markdown")
    args = ap.parse_args(argv)
    try:
        bom, rows = build(args.root, args.vendor, args.commit, args.timestamp)
    except Problems as e:
        print(f"sbom: refused, {len(e.problems)} problem(s):", file=sys.stderr)
        for p in e.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    except (OSError, KeyError, tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        print(f"sbom: refused: {e}", file=sys.stderr)
        return 1
    with open(args.sbom, "w", encoding="utf-8", newline="\n") as f:
        json.dump(bom, f, indent=2, ensure_ascii=False)
        f.write("\n")
    write_tsv(args.tsv, rows)
    write_md(args.md, rows, bom["metadata"]["component"])
    print(f"sbom: {len(rows)} packages, {len({r['licence'] for r in rows})} licence expressions, "
          f"{sum(bool(r['flag']) for r in rows)} flagged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
