#!/usr/bin/env bash
# Verify the vendored static files against the checksums in static/vendor/VERSIONS.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/static/vendor"
# Comment lines are skipped; --strict fails on malformed lines.
grep -v '^#' VERSIONS | sha256sum --check --strict --quiet -
echo "OK: all vendored files match static/vendor/VERSIONS"
