#!/usr/bin/env bash
# Residents' requests end to end on the bundled samples: a disclosure request found by name and
# date of birth, its draft, review, decision, notice and disclosure; then a suspension of use that
# keeps the person out of the next release. Run from the repository root:
#
#   bash samples/requests/workflow.sh [WORK_DIR]
#
# WORK_DIR (default: a new temporary folder) receives the registry, the audit log, the documents
# and the release. TOKUMEI names the binary (default: `cargo run --release --quiet --`). The clock
# is set to 2026-11-27 so that the sample's dates are in the past.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
t() { ${TOKUMEI:-cargo run --release --quiet --manifest-path "$repo/Cargo.toml" --} "$@"; }
export TOKUMEI_REGISTRY="$work/reports/registry.sqlite" TOKUMEI_NOW=1795737600
s="$repo/samples/requests"

t registry init --profile "$repo/samples/registry/profile.toml"
t file add "$repo/samples/registry/resident_file.toml" --rules "$repo/rules/resident_registry.toml"
t file add-source 住民基本台帳ファイル --input "$repo/samples/resident_registry.csv" \
  --subject-column 宛名番号 --name-column 氏名 --birth-column 生年月日 --others-column 世帯番号

# 1. Disclosure: intake, the person found among every candidate, the draft, the decision.
t request open "$s/disclosure.toml"
t request match 1
t request match 1 --choose 100599658 --note "運転免許証の氏名・生年月日・住所が記録と一致"
t request disclose 1
t request decide 1 --decision partial --reason "世帯番号は他の世帯員の情報を含むため（法78条1項2号）"
t request notice 1 --kind decision --to "石井 悠真"
t request disclose 1                 # the package as decided
t request carry-out 1 --method 写しの交付 --chosen 2026-11-27

# 2. Suspension of use: accepted on its ground; the next release leaves the person out.
t request open "$s/suspension.toml"
t request decide 2 --decision accepted --ground unlawful_use --reason "目的外利用を確認したため利用を停止する"
cat > "$work/job.toml" <<JOB
version = 1
name = "resident-registry-sample"
reference_date = "2026-04-01"
[input]
path = "$repo/samples/resident_registry.csv"
[rules]
path = "$repo/rules/resident_registry.toml"
[output]
dir = "$work/reports"
[audit]
log = "$work/reports/audit.log"
JOB
t run "$work/job.toml" --internal-use "人口動態の統計分析"
t request list --all
t subject provisions 100599658
t audit verify --log "$work/reports/audit.log" --registry "$TOKUMEI_REGISTRY"
echo "documents in $work/reports/requests; workflow done in $work"
