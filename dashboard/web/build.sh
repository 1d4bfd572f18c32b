#!/bin/sh
# build.sh installs the dashboard's third-party assets (uPlot, pinned in
# package.json and package-lock.json) and copies the two files the dashboard
# embeds into vendor/. Neither node_modules nor vendor/ is committed.
#
# Run it from anywhere: sh dashboard/web/build.sh
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p vendor
cp node_modules/uplot/dist/uPlot.iife.min.js vendor/uPlot.iife.min.js
cp node_modules/uplot/dist/uPlot.min.css vendor/uPlot.min.css
echo "dashboard assets built: $(pwd)/vendor"
