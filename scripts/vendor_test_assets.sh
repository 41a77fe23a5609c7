#!/usr/bin/env bash
# Fetch axe-core from the npm registry (npm pack) into tests/e2e/vendor/, for the browser tests'
# accessibility checks. A test asset only: the site never serves it. Run from the repository root.
#
# axe-core is MPL-2.0 (file-level copyleft): it is kept unmodified, with its LICENSE and the licences of
# what it bundles (LICENSE-3RD-PARTY.txt); its source is at https://github.com/dequelabs/axe-core.
set -euo pipefail

AXE_VERSION="4.14.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENDOR="tests/e2e/vendor"
AXE_DIR="$VENDOR/axe-core-$AXE_VERSION"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# npm checks the tarball against the registry's integrity hash.
(cd "$TMP" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
tar -xzf "$TMP/axe-core-$AXE_VERSION.tgz" -C "$TMP"
PKG="$TMP/package"

# And the build against the hash axe-core publishes for it (sri-history.json).
expected="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["axe.min.js"])' \
    "$PKG/sri-history.json" "$AXE_VERSION")"
actual="sha256-$(openssl dgst -sha256 -binary "$PKG/axe.min.js" | openssl base64 -A)"
if [[ "$expected" != "$actual" ]]; then
  echo "error: axe.min.js is $actual, axe-core $AXE_VERSION publishes $expected" >&2
  exit 1
fi

rm -rf "$VENDOR"/axe-core-*
mkdir -p "$AXE_DIR"
cp "$PKG/axe.min.js" "$PKG/LICENSE" "$PKG/LICENSE-3RD-PARTY.txt" "$AXE_DIR/"

{
  echo "# Test assets, fetched from the npm registry with"
  echo "#   npm pack axe-core@$AXE_VERSION"
  echo "# by scripts/vendor_test_assets.sh. Verify with scripts/check_vendor_assets.sh."
  echo "# axe-core $AXE_VERSION (MPL-2.0)"
  (cd "$VENDOR" && find "axe-core-$AXE_VERSION" -type f | LC_ALL=C sort | xargs sha256sum)
} > "$VENDOR/VERSIONS"

echo "Test assets written to $VENDOR/ (see $VENDOR/VERSIONS)"
