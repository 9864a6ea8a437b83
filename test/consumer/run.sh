#!/usr/bin/env bash
# A new user's app, created the way the cdk8s docs say (`cdk8s init typescript-app`), with the library
# installed from the packed tarball (dist-package/js, `npx projen package:js`). For the cdk8s-plus
# major the template brings, cdk8s-plus-28 and the newest major, it compiles test/consumer/main.ts
# (the app's own cdk8s-plus objects passed to every construct that takes them), synthesizes it with
# the validation plugin configured as the README says, and checks that the plugin fails a planted
# mistake with the construct path. Also checks the package contents and size.
#
# Needs the npm registry (cdk8s init runs npm install); nothing else. Usage: npx projen test:consumer
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CDK8S="$ROOT/node_modules/.bin/cdk8s"
TARBALL=$(ls "$ROOT"/dist-package/js/cdk8s-istio-ambient@*.jsii.tgz)
VERSION=$(tar -xOzf "$TARBALL" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).version')
NEWEST=$(node -p "const p = require('$ROOT/node_modules/cdk8s-plus-latest/package.json'); p.name + '@' + p.version")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fail() { echo "consumer check FAILED: $*" >&2; exit 1; }

echo "== package: $TARBALL"
PACKED=$(stat -c %s "$TARBALL")
UNPACKED=$(tar -tzvf "$TARBALL" | awk '{ s += $3 } END { print s }')
echo "   tarball $PACKED bytes ($((PACKED / 1024)) KiB), unpacked $UNPACKED bytes"
[ "$PACKED" -lt $((400 * 1024)) ] || fail "tarball is $((PACKED / 1024)) KiB, over 400 KiB"
[ "$UNPACKED" -lt 2500000 ] || fail "unpacked package is $UNPACKED bytes, over 2.5 MB"
if tar -xOzf "$TARBALL" --wildcards 'package/lib/*.js' | grep -q 'sourceMappingURL=data:'; then fail "inline source maps in lib/"; fi
if tar -tzf "$TARBALL" | grep -q '^package/node_modules/'; then fail "bundled node_modules in the package"; fi

echo "== cdk8s init typescript-app"
mkdir "$WORK/app" && cd "$WORK/app"
# init scaffolds the app and runs npm install, then `cdk8s import` (the Kubernetes schema from
# github.com), compile, test and synth of the template. Without access to github.com the import
# fails after the install; the app does not need it (cdk8s-plus brings its own k8s types).
if ! "$CDK8S" init typescript-app --no-check-upgrade > "$WORK/init.log" 2>&1; then
  [ -d node_modules/cdk8s ] && [ -f package.json ] || { cat "$WORK/init.log"; fail "cdk8s init did not install the app"; }
  grep -q 'npm run import' "$WORK/init.log" || { cat "$WORK/init.log"; fail "cdk8s init failed before its import step"; }
  echo "   scaffold and npm install done; 'cdk8s import k8s' could not reach github.com (not needed)"
fi
TEMPLATE_PLUS=$(node -p 'Object.keys(require("./package.json").dependencies).find(d => d.startsWith("cdk8s-plus-"))')
rm -rf main.test.ts __snapshots__ imports
# A manifest the app brings in with Include.
mkdir -p manifests
cat > manifests/reports.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: reports
spec:
  selector: { app: reports }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reports
spec:
  selector: { matchLabels: { app: reports } }
  template:
    metadata: { labels: { app: reports } }
    spec:
      containers: [{ name: reports, image: registry.example.com/shop/reports:1.0.0, ports: [{ containerPort: 8080 }] }]
YAML

echo "== npm install $(basename "$TARBALL")"
npm install --no-audit --no-fund "$TARBALL" > "$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "npm install of the tarball"; }
if grep -q EBADENGINE "$WORK/install.log"; then cat "$WORK/install.log"; fail "engine warnings when installing the library"; fi
node -e "const m = require('cdk8s-istio-ambient'); const leaked = Object.keys(m).filter(k => k.startsWith('_')); if (leaked.length) { console.error('internal exports: ' + leaked); process.exit(1); }" \
  || fail "internal helpers exported at runtime"

# The validation plugin, from the installed package (README "Use it in your app").
cat > cdk8s.yaml <<YAML
language: typescript
app: npx ts-node main.ts
validations:
  - package: ./node_modules/cdk8s-istio-ambient
    version: $VERSION
    class: MeshValidationPlugin
    properties:
      failOn: warning
YAML

for PLUS in "$TEMPLATE_PLUS" cdk8s-plus-28 "$NEWEST"; do
  MODULE=${PLUS%@*}
  echo "== $PLUS"
  if [ ! -d "node_modules/$MODULE" ]; then
    npm install --no-audit --no-fund "$PLUS" > "$WORK/install-plus.log" 2>&1 || { cat "$WORK/install-plus.log"; fail "npm install $PLUS"; }
  fi
  sed "s/from 'cdk8s-plus-33'/from '$MODULE'/" "$ROOT/test/consumer/main.ts" > main.ts
  grep -q "from '$MODULE'" main.ts || fail "main.ts does not import $MODULE"
  npx tsc --build || fail "the app does not compile with $MODULE"

  npx cdk8s synth --no-check-upgrade > "$WORK/synth.log" 2>&1 || { cat "$WORK/synth.log"; fail "cdk8s synth with $MODULE"; }
  grep -q 'Validations ended succesfully' "$WORK/synth.log" || { cat "$WORK/synth.log"; fail "validation did not run or did not pass"; }
  for kind in AuthorizationPolicy HTTPRoute DestinationRule Gateway; do
    grep -q "^kind: $kind" dist/shop.k8s.yaml || fail "no $kind in dist/shop.k8s.yaml"
  done
  grep -q 'istio.io/dataplane-mode: none' dist/shop.k8s.yaml || fail "excludeWorkload did not label the pod template"
  grep -q 'name: reports-waypoint' dist/shop.k8s.yaml || fail "no policy for the Include'd Service reports"
  echo "   compiles, synthesizes $(grep -c '^kind:' dist/shop.k8s.yaml) objects, validation passes"

  if PLANT_MISTAKE=1 npx cdk8s synth --no-check-upgrade > "$WORK/planted.log" 2>&1; then
    cat "$WORK/planted.log"; fail "the planted mistake was not caught"
  fi
  for expected in 'AMB103 istio.io/use-waypoint names a waypoint that is not in the manifests \[warning\] (1 occurrences)' \
                  '- Construct Path: orders/orders/Resource' '> Service orders/orders' 'Validation failed'; do
    grep -q -- "$expected" "$WORK/planted.log" || { cat "$WORK/planted.log"; fail "report lacks: $expected"; }
  done
  if grep -q '^\s*at ' "$WORK/planted.log"; then cat "$WORK/planted.log"; fail "stack trace in the report"; fi
  echo "   planted mistake caught: AMB103 at orders/orders/Resource"
done
echo "== consumer check passed"
