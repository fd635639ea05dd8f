#!/usr/bin/env bash
# Installs everything, builds drydock and a small demo image (offline), then inspects, scans,
# judges and gates it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
npx tsx scripts/build-demo-image.ts .demo/image
echo
echo '$ drydock inspect oci-dir:.demo/image:demo'
node bin/drydock.js inspect oci-dir:.demo/image:demo
echo
echo '$ drydock files oci-dir:.demo/image:demo'
node bin/drydock.js files oci-dir:.demo/image:demo
echo
echo '$ drydock sbom oci-dir:.demo/image:demo'
node bin/drydock.js sbom oci-dir:.demo/image:demo
echo
echo '$ drydock sbom oci-dir:.demo/image:demo -o json   (secrets found, redacted)'
node bin/drydock.js sbom oci-dir:.demo/image:demo -o json -q | node -e \
  'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(JSON.stringify(d.secrets, null, 2))'
echo
echo '$ drydock db import examples/demo-image/osv   (real OSV records shipped in the repo: offline)'
rm -f .demo/vulndb.sqlite
node bin/drydock.js db import examples/demo-image/osv --db-file .demo/vulndb.sqlite
echo
echo '$ drydock scan oci-dir:.demo/image:demo'
node bin/drydock.js scan oci-dir:.demo/image:demo --db-file .demo/vulndb.sqlite
echo
echo '$ drydock evaluate oci-dir:.demo/image:demo --detail   (the shipped policy bundle: port 22 is a STOP)'
node bin/drydock.js evaluate oci-dir:.demo/image:demo --detail --db-file .demo/vulndb.sqlite || echo "(exit code $?: the image fails the policy)"
echo
echo '$ drydock ci --image oci-dir:.demo/image:demo --report-dir .demo/anchore-reports   (the CI gate in one step)'
rm -rf .demo/anchore-reports
node bin/drydock.js ci --image oci-dir:.demo/image:demo --db-file .demo/vulndb.sqlite --report-dir .demo/anchore-reports -q
ls .demo/anchore-reports
echo
echo '== the engine: drydock serve with a local registry, driven as a CI pipeline drives anchore-cli =='
npx tsx scripts/demo-engine.ts
