#!/bin/sh
# Build the neuroglancer page of the view-load benchmark into BUILD (default
# /tmp/dvidpy-neuroglancer-page): neuroglancer 2.41.2 from npm, vite, playwright-core.
# neuroglancer's one GitHub-hosted dependency (ikonate, UI icons) is replaced by blank
# icons, so only the npm registry is needed. Nothing is written inside the repository.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-/tmp/dvidpy-neuroglancer-page}
mkdir -p "$BUILD"
cp "$HERE/index.html" "$HERE/vite.config.js" "$HERE/load_view.mjs" "$BUILD/"
cd "$BUILD"
[ -f package.json ] || printf '{"name": "dvidpy-view-load", "private": true, "type": "module"}\n' > package.json
npm install --no-audit --no-fund codemirror@^5.61.1 core-js@^3.40.0 crc-32@^1.2.2 gl-matrix@3.1.0 \
  lodash-es@^4.17.21 msgpackr@^1.11.2 nifti-reader-js@^0.6.8 numcodecs@^0.3.2 valibot@^1.0.0-beta.15 \
  vite@^6 playwright-core@^1.50
npm pack neuroglancer@2.41.2 >/dev/null
rm -rf node_modules/neuroglancer && mkdir -p node_modules/neuroglancer
tar xzf neuroglancer-2.41.2.tgz -C node_modules/neuroglancer --strip-components=1
mkdir -p node_modules/ikonate/icons
printf '{"name": "ikonate", "version": "0.0.0"}\n' > node_modules/ikonate/package.json
for icon in $(grep -rhoE 'ikonate/icons/[a-z-]+\.svg' node_modules/neuroglancer/lib | sort -u); do
  printf '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"></svg>\n' > "node_modules/$icon"
done
npx vite build --outDir dist --emptyOutDir
echo "built $BUILD/dist"
