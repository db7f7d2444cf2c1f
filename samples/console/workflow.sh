#!/usr/bin/env bash
# A registry with something of everything for the officer console (`tokumei serve`): the
# registry and incident workflows (a contract, its release and provision, a closed incident and
# an open one), another incident with its reports due, and residents' requests still waiting for
# a decision. Run from the repository root, then open the console on it:
#
#   bash samples/console/workflow.sh WORK_DIR
#   TOKUMEI_NOW=1811808000 tokumei serve --registry WORK_DIR/reports/registry.sqlite
#
# TOKUMEI names the binary (default: `cargo run --release --quiet --`). The clock is 2027-06-01.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
t() { ${TOKUMEI:-cargo run --release --quiet --manifest-path "$repo/Cargo.toml" --} "$@"; }

bash "$repo/samples/incidents/workflow.sh" "$work" > /dev/null
export TOKUMEI_REGISTRY="$work/reports/registry.sqlite" TOKUMEI_NOW=1811808000   # 2027-06-01

# A disclosure request received in May, matched by name and date of birth (due in June), and a
# correction received in April whose deadline has passed.
sed 's/^received = .*/received = "2027-05-20"/' "$repo/samples/requests/disclosure.toml" > "$work/disclosure.toml"
t request open "$work/disclosure.toml"
t request match 1 --choose 100599658 --note "運転免許証の氏名・生年月日・住所が記録と一致"
cat > "$work/correction.toml" <<TOML
kind = "correction"
received = "2027-04-20"
requester = "石井 悠真"
capacity = "self"
verification = "運転免許証の提示"
records = "住民基本台帳ファイルの本人の電話番号"
subject = "100599658"
disclosed_on = "2027-04-01"
[[correction]]
file = "住民基本台帳ファイル"
column = "電話番号"
value = "090-0000-0000"
reason = "転居に伴い変更したため"
TOML
t request open "$work/correction.toml"
# A second lost USB memory (漏えいのおそれ), found the day before: its preliminary report is due within days.
t incident open "$repo/samples/incidents/loss.toml"
t request list
t incident list
t audit verify --log "$work/reports/audit.log" --registry "$TOKUMEI_REGISTRY"
echo "console sample done in $work"
