#!/usr/bin/env bash
# Fetch Bootstrap, Bootstrap Icons and Apache ECharts from the npm registry (npm pack) and
# copy the needed files into static/vendor/. Run from the repository root.
set -euo pipefail

BS_VERSION="5.3.8"
BI_VERSION="1.13.2"
EC_VERSION="6.1.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENDOR="static/vendor"
BS_DIR="$VENDOR/bootstrap-$BS_VERSION"
BI_DIR="$VENDOR/bootstrap-icons-$BI_VERSION"
EC_DIR="$VENDOR/echarts-$EC_VERSION"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm pack --silent "bootstrap@$BS_VERSION" "bootstrap-icons@$BI_VERSION" "echarts@$EC_VERSION" >/dev/null)

mkdir -p "$TMP/bs" "$TMP/bi" "$TMP/ec"
tar -xzf "$TMP/bootstrap-$BS_VERSION.tgz" -C "$TMP/bs"
tar -xzf "$TMP/bootstrap-icons-$BI_VERSION.tgz" -C "$TMP/bi"
tar -xzf "$TMP/echarts-$EC_VERSION.tgz" -C "$TMP/ec"
BS_PKG="$TMP/bs/package"
BI_PKG="$TMP/bi/package"
EC_PKG="$TMP/ec/package"

rm -rf "$BS_DIR" "$BI_DIR" "$EC_DIR"
mkdir -p "$BS_DIR/css" "$BS_DIR/js" "$BI_DIR/font/fonts" "$EC_DIR/licenses"

cp "$BS_PKG/dist/css/bootstrap.min.css"       "$BS_DIR/css/"
cp "$BS_PKG/dist/css/bootstrap.min.css.map"   "$BS_DIR/css/"
cp "$BS_PKG/dist/js/bootstrap.bundle.min.js"     "$BS_DIR/js/"
cp "$BS_PKG/dist/js/bootstrap.bundle.min.js.map" "$BS_DIR/js/"
cp "$BS_PKG/LICENSE" "$BS_DIR/LICENSE"

if [[ -f "$BI_PKG/font/bootstrap-icons.min.css" ]]; then
  BI_CSS="bootstrap-icons.min.css"
else
  BI_CSS="bootstrap-icons.css"
fi
cp "$BI_PKG/font/$BI_CSS" "$BI_DIR/font/"
cp "$BI_PKG/font/fonts/bootstrap-icons.woff2" "$BI_DIR/font/fonts/"
cp "$BI_PKG/font/fonts/bootstrap-icons.woff"  "$BI_DIR/font/fonts/"
cp "$BI_PKG/LICENSE" "$BI_DIR/LICENSE"

# ECharts: the full minified build (its SVG renderer, the aria component and the built-in ZH locale), with
# its Apache-2.0 LICENSE, the NOTICE it requires to be kept, and the d3 licence its LICENSE points to.
cp "$EC_PKG/dist/echarts.min.js" "$EC_DIR/"
cp "$EC_PKG/LICENSE" "$EC_PKG/NOTICE" "$EC_DIR/"
cp "$EC_PKG/licenses/LICENSE-d3" "$EC_DIR/licenses/"

# The icons CSS must reference the fonts relative to itself (fonts/...).
if grep -o 'url([^)]*)' "$BI_DIR/font/$BI_CSS" | grep -Eqv '^url\("?(\./)?fonts/bootstrap-icons\.woff2?(\?[^")]*)?"?\)$'; then
  echo "error: unexpected url() in $BI_DIR/font/$BI_CSS:" >&2
  grep -o 'url([^)]*)' "$BI_DIR/font/$BI_CSS" >&2
  exit 1
fi

{
  echo "# Vendored static assets, fetched from the npm registry with"
  echo "#   npm pack bootstrap@$BS_VERSION bootstrap-icons@$BI_VERSION echarts@$EC_VERSION"
  echo "# by scripts/vendor_assets.sh. Verify with scripts/check_vendor_assets.sh."
  echo "# bootstrap $BS_VERSION"
  echo "# bootstrap-icons $BI_VERSION"
  echo "# echarts $EC_VERSION (Apache-2.0; the report and dashboard charts, static/js/charts.js)"
  (cd "$VENDOR" && find "bootstrap-$BS_VERSION" "bootstrap-icons-$BI_VERSION" "echarts-$EC_VERSION" -type f | LC_ALL=C sort | xargs sha256sum)
} > "$VENDOR/VERSIONS"

echo "Vendored files written to $VENDOR/ (see $VENDOR/VERSIONS)"
