#!/usr/bin/env bash
# Leak incidents end to end on the bundled samples: a USB memory with resident records lost outside
# the office (a 法68 event: a suspected leak, 漏えいのおそれ), its preliminary and final reports, the
# notices to the people and their sending;
# then a copy of an anonymised release found online, traced to its recipient and recorded as a
# contract incident. Run from the repository root:
#
#   bash samples/incidents/workflow.sh [WORK_DIR]
#
# WORK_DIR (default: a new temporary folder) receives the registry, the audit log, the release and
# the documents. TOKUMEI names the binary (default: `cargo run --release --quiet --`).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
t() { ${TOKUMEI:-cargo run --release --quiet --manifest-path "$repo/Cargo.toml" --} "$@"; }
s="$repo/samples/incidents"

# The registry, a contract and its release (samples/registry/workflow.sh), and where the
# resident file's records are kept.
bash "$repo/samples/registry/workflow.sh" "$work" > /dev/null
export TOKUMEI_REGISTRY="$work/reports/registry.sqlite" TOKUMEI_NOW=1811808000   # 2027-06-01
t file add-source 住民基本台帳ファイル --input "$repo/samples/resident_registry.csv" \
  --subject-column 宛名番号 --name-column 氏名 --birth-column 生年月日

# 1. The USB memory lost outside the office (漏えいのおそれ): triggers, due dates, reports, notices.
t incident open "$s/loss.toml"
t incident report 1 --stage preliminary
t incident filed 1 --stage preliminary --date 2027-06-01 --reference "速報 受付番号 2027-0001" \
  --document "$work/reports/incidents/1/report_preliminary.html"
t incident update 1 "$s/found_cause.toml"
t incident notices 1 --address-column 住所
t incident notify 1 --all --method mail --at 2027-06-01
t incident report 1 --stage final
t incident filed 1 --stage final --date 2027-06-01 --reference "確報 受付番号 2027-0002"
t incident close 1 --reason "確報提出済み、対象者全員に通知済み"

# 2. A copy of the anonymised release turns up: which recipient was it provided to?
release="$(readlink -f "$work/reports/resident_registry/latest")"
mkdir -p "$work/found"
cp "$release/resident_registry.parquet" "$work/found/copy.parquet"
sed "s/RELEASE/$(basename "$release")/" "$s/leaked_release.toml" > "$work/found/incident.toml"
t incident open "$work/found/incident.toml"
t trace "$work/found/copy.parquet" --incident 2      # the result goes into the incident's timeline
t incident report 2 --stage preliminary
t incident list --all
t audit verify --log "$work/reports/audit.log" --registry "$TOKUMEI_REGISTRY"
echo "incident workflow done in $work"
