#!/usr/bin/env bash
# The registry workflow end to end on the bundled samples: the municipality's registry, its
# resident file, a licensed business, its proposal, the review, the contract, the release made
# for it and its provision. Run from the repository root:
#
#   bash samples/registry/workflow.sh [WORK_DIR]
#
# WORK_DIR (default: a new temporary folder) receives the registry, the audit log and the release.
# TOKUMEI names the binary (default: `cargo run --release --quiet --`).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
t() { ${TOKUMEI:-cargo run --release --quiet --manifest-path "$repo/Cargo.toml" --} "$@"; }
export TOKUMEI_REGISTRY="$work/reports/registry.sqlite"
s="$repo/samples/registry"

# The registry and the proposal's steps are dated 1 October 2026 (10:00 JST) by the run clock.
export TOKUMEI_NOW=1790816400
t registry init --profile "$s/profile.toml"
t file add "$s/resident_file.toml" --rules "$repo/rules/resident_registry.toml"
t recipient add "$s/recipient.toml"
# A call for proposals (法111, 規則53: at least once a fiscal year, 30 days or more): a 法112
# proposal is received only while a call for its file is open.
t call open --from 2026-10-01 --to 2026-11-30 --note "見本市告示第100号 (令和8年度 行政機関等匿名加工情報の提案の募集)"
t contract propose "$s/proposal.toml"
t contract review 1 --review "$s/review.toml"
t contract advance 1 --to fit
t contract advance 1 --to fee_paid --hours 2.5     # 法119条3項: 2.5 hours are billed as 3
t contract advance 1 --to contracted
unset TOKUMEI_NOW

# The officer's Ed25519 key pair that signs each release's manifest (a release provided under a
# contract is refused unsigned); the public key (officer.key.pub) goes to the recipient apart
# from the data.
t keygen --audit --out "$work/officer.key"

# The job: the bundled extract, its release beside the registry. The run clock is set inside the
# sample contract's use period (2027).
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
[release]
sign_key = "$work/officer.key"
JOB
TOKUMEI_NOW=1811808000 t run "$work/job.toml" --contract 1 --hours 3
release="$(basename "$(readlink -f "$work/reports/resident_registry/latest")")"
TOKUMEI_NOW=1811808000 t release provide "$release" --medium 暗号化USBメモリ --receipt "受領書 第1号"
t release list
t contract record 1
# 法117: the release is in the file's ファイル簿 since it was published; the book to publish (法75).
t file show 住民基本台帳ファイル
TOKUMEI_NOW=1811808000 t file book --out "$work/file-book"
# The recipient's side: the folder as received, the public key alone (no registry, no log).
t verify-release "$work/reports/resident_registry/$release" --public-key "$work/officer.key.pub"
t audit verify --log "$work/reports/audit.log" --registry "$TOKUMEI_REGISTRY"
echo "workflow done in $work"
