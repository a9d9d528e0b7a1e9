#!/bin/sh
# Bundle the editor of `funnelc serve` (src/editor.js + CodeMirror 6 from the npm
# registry) into one minified file inside the Python package, so the page works offline
# and no user needs node. Run after changing src/editor.js or package.json:
#     cd web && npm ci && sh build.sh
# then commit ../src/funnelc/serve/static/editor.bundle.js (never node_modules).
set -eu
cd "$(dirname "$0")"
npx esbuild src/editor.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --outfile=../src/funnelc/serve/static/editor.bundle.js
