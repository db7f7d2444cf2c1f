#!/usr/bin/env bash
# Builds tokumei from this offline bundle, with no network: every crate is in vendor/ and
# .cargo/config.toml points cargo at it (and sets net.offline). Made by dist/bundle; copied to the
# bundle's top folder as build-offline.sh.
#
#   ./build-offline.sh                 verify SHA256SUMS, then cargo build --release --offline --frozen
#   ./build-offline.sh --verify-only   verify SHA256SUMS only
#   ./build-offline.sh -- ARGS...      verify, then cargo ARGS... --offline --frozen
#                                      (e.g. -- check --workspace, -- build --no-default-features)
#
# Exit codes: 0 built (or verified), 2 the bundle is not as made (a file changed, missing or
# added), 3 no Rust toolchain or one older than the source needs, 4 usage; else cargo's own code.
# The sums detect damage in transport; they prove nothing against someone who could also rewrite
# SHA256SUMS: compare the archive's SHA-256 with the one you were given by another channel.
set -euo pipefail
cd "$(dirname "$0")"

mode=release
cargo_args=()
case "${1:-}" in
  "") ;;
  --verify-only) mode=verify ;;
  --) shift; mode=custom; cargo_args=("$@")
      if [ ${#cargo_args[@]} -eq 0 ]; then echo "build-offline: nothing after --" >&2; exit 4; fi ;;
  -h|--help) sed -n '2,14p' "$(basename "$0")" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build-offline: unknown argument '$1' (see --help)" >&2; exit 4 ;;
esac

echo "== verifying SHA256SUMS"
if [ ! -f SHA256SUMS ]; then
  echo "build-offline: refused: SHA256SUMS is missing" >&2
  exit 2
fi
if ! sha256sum --check --quiet --strict SHA256SUMS; then
  echo "build-offline: refused: a file differs from SHA256SUMS or is missing (above)" >&2
  exit 2
fi
# A folder the bundle does not hold is refused, target/ too: compiled code left there (or planted)
# would be linked without being rebuilt from the verified source.
if [ -e target ] || [ -L target ]; then
  echo "build-offline: refused: target/ exists (not part of the bundle; a build made it, or someone else did): remove it (rm -rf target) and run again" >&2
  exit 2
fi
# A file added to the bundle is refused too.
extra=$(comm -13 <(sed -E 's/^[0-9a-f]{64}  //' SHA256SUMS | LC_ALL=C sort) \
  <(find . -type f ! -path ./SHA256SUMS -printf '%P\n' | LC_ALL=C sort))
if [ -n "$extra" ]; then
  echo "build-offline: refused: files not in SHA256SUMS:" >&2
  printf '%s\n' "$extra" | sed 's/^/  /' >&2
  exit 2
fi
if [ -n "$(find . -type l -print)" ]; then
  echo "build-offline: refused: the bundle holds symbolic links (it is made without any)" >&2
  exit 2
fi
echo "ok: $(wc -l < SHA256SUMS) files as listed"
if [ "$mode" = verify ]; then exit 0; fi

echo "== toolchain"
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  echo "build-offline: refused: no cargo/rustc on PATH; install Rust $(sed -n 's/^rust-version = "\([0-9.]*\)"/\1/p' Cargo.toml vendor/*/Cargo.toml | sort -V | tail -1) or later (an offline rustup or distribution package)" >&2
  exit 3
fi
# The newest rust-version any crate built here asks (the workspace's and every vendored crate's).
need=$(sed -n 's/^rust-version = "\([0-9.]*\)"/\1/p' Cargo.toml vendor/*/Cargo.toml | sort -V | tail -1)
have=$(rustc --version | sed -E 's/^rustc ([0-9]+\.[0-9]+(\.[0-9]+)?).*/\1/')
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "build-offline: refused: rustc $have is older than the $need this source needs" >&2
  exit 3
fi
echo "$(rustc --version), $(cargo --version)"

export CARGO_NET_OFFLINE=true
if [ "$mode" = release ]; then
  echo "== cargo build --release --offline --frozen"
  cargo build --release --offline --frozen --target-dir target
  bin=target/release/tokumei
  echo "built: $bin ($(stat -c %s "$bin") bytes)"
  sha256sum "$bin"
else
  echo "== cargo ${cargo_args[*]} --offline --frozen"
  # The flags go right after the subcommand, before any `--` of its own.
  cargo "${cargo_args[0]}" --offline --frozen "${cargo_args[@]:1}"
fi
