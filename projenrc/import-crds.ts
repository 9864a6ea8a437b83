/**
 * Generates the typed L1 classes in src/imports from the pinned upstream CRDs.
 *
 * - Only the kinds and the single API version the library emits are imported: older served versions
 *   triple the generated code and the compile time.
 * - Upstream `description` text is stripped from the schemas, so the generated files carry names and
 *   types only (the upstream prose stays upstream).
 * - VirtualService is not imported, so its `mirror_percent`/`mirrorPercent` clash (cdk8s issue 2158)
 *   cannot break the import.
 *
 * Usage: `npx projen import [-- <crd-root>]`, where <crd-root> has the layout of ../shared/upstream.
 * `IMPORT_ONLY=<module>` (e.g. `argoproj.io`) regenerates one module only.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';

interface ImportSpec {
  /** Output module name in src/imports (without .ts). */
  readonly module: string;
  /** CRD files relative to the CRD root. */
  readonly files: string[];
  /** API group. */
  readonly group: string;
  /** Version to import. */
  readonly version: string;
  /** Kinds to import. */
  readonly kinds: string[];
}

const SPECS: ImportSpec[] = [
  {
    module: 'security.istio.io',
    files: ['istio-1.30.3/crd-all.gen.yaml'],
    group: 'security.istio.io',
    version: 'v1',
    kinds: ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'],
  },
  {
    module: 'telemetry.istio.io',
    files: ['istio-1.30.3/crd-all.gen.yaml'],
    group: 'telemetry.istio.io',
    version: 'v1',
    kinds: ['Telemetry'],
  },
  {
    module: 'networking.istio.io',
    files: ['istio-1.30.3/crd-all.gen.yaml'],
    group: 'networking.istio.io',
    version: 'v1',
    kinds: ['DestinationRule', 'ServiceEntry'],
  },
  {
    module: 'gateway.networking.k8s.io',
    files: [
      'gateway-api-v1.5.1/gateway.networking.k8s.io_gateways.yaml',
      'gateway-api-v1.5.1/gateway.networking.k8s.io_httproutes.yaml',
      'gateway-api-v1.5.1/gateway.networking.k8s.io_grpcroutes.yaml',
      'gateway-api-v1.5.1/gateway.networking.k8s.io_referencegrants.yaml',
    ],
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    kinds: ['Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant'],
  },
  {
    module: 'helm.toolkit.fluxcd.io',
    files: ['flux/helm-controller-v1.6.3_helmreleases.yaml'],
    group: 'helm.toolkit.fluxcd.io',
    version: 'v2',
    kinds: ['HelmRelease'],
  },
  {
    module: 'source.toolkit.fluxcd.io',
    files: [
      'flux/source-controller-v1.9.1_gitrepositories.yaml',
      'flux/source-controller-v1.9.1_helmrepositories.yaml',
      'flux/source-controller-v1.9.1_ocirepositories.yaml',
    ],
    group: 'source.toolkit.fluxcd.io',
    version: 'v1',
    kinds: ['GitRepository', 'HelmRepository', 'OCIRepository'],
  },
  {
    module: 'kustomize.toolkit.fluxcd.io',
    files: ['flux/kustomize-controller-v1.9.4_kustomizations.yaml'],
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    kinds: ['Kustomization'],
  },
  {
    module: 'argoproj.io',
    files: ['argo-cd-v3.5.1/application-crd.yaml'],
    group: 'argoproj.io',
    version: 'v1alpha1',
    kinds: ['Application'],
  },
  // cert-manager (Certificate, ClusterIssuer, Issuer) is not imported: its generated classes are 750 KB
  // (Issuer's ACME solvers carry whole pod templates) for a handful of fields. src/_cert-manager.ts
  // writes ApiObjects, and the tests admit them against the pinned CRDs with crdcheck.
  {
    module: 'monitoring.coreos.com',
    files: [
      'prometheus-operator-v0.93.0/monitoring.coreos.com_podmonitors.yaml',
      'prometheus-operator-v0.93.0/monitoring.coreos.com_servicemonitors.yaml',
    ],
    group: 'monitoring.coreos.com',
    version: 'v1',
    kinds: ['PodMonitor', 'ServiceMonitor'],
  },
];

/**
 * Removes the `description` keyword from a JSON schema node and every sub-schema, keeping property
 * names. Also drops snake_case aliases that protobuf-generated CRDs declare next to the camelCase
 * field (`jwks_uri` beside `jwksUri`, `mirror_percent` beside `mirrorPercent`): both map to the same
 * TypeScript property, and the library writes the camelCase form the Istio docs use.
 */
function stripDescriptions(schema: any): void {
  if (!schema || typeof schema !== 'object') return;
  if (typeof schema.description === 'string') delete schema.description;
  if (schema.properties) {
    for (const name of Object.keys(schema.properties)) {
      const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      if (camel !== name && camel in schema.properties) delete schema.properties[name];
    }
  }
  for (const sub of Object.values(schema.properties ?? {})) stripDescriptions(sub);
  for (const key of ['items', 'additionalProperties', 'not']) {
    if (schema[key] && typeof schema[key] === 'object') stripDescriptions(schema[key]);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    for (const sub of schema[key] ?? []) stripDescriptions(sub);
  }
}

function loadCrds(root: string, spec: ImportSpec): any[] {
  const crds: any[] = [];
  for (const file of spec.files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const doc of parseAllDocuments(text)) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      if (crd.spec.group !== spec.group || !spec.kinds.includes(crd.spec.names.kind)) continue;
      const version = crd.spec.versions.find((v: any) => v.name === spec.version);
      if (!version) throw new Error(`${file}: ${crd.spec.names.kind} has no version ${spec.version}`);
      stripDescriptions(version.schema?.openAPIV3Schema);
      crds.push({
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        metadata: { name: crd.metadata.name },
        spec: { ...crd.spec, versions: [{ ...version, served: true, storage: true }] },
      });
    }
  }
  const found = crds.map(c => c.spec.names.kind).sort();
  const wanted = [...spec.kinds].sort();
  if (found.join(',') !== wanted.join(',')) {
    throw new Error(`${spec.module}: expected kinds ${wanted.join(', ')} but found ${found.join(', ') || 'none'}`);
  }
  return crds.sort((a, b) => a.spec.names.kind.localeCompare(b.spec.names.kind));
}

function main() {
  // `npx projen import -- <dir>` passes the `--` through.
  const [dir] = process.argv.slice(2).filter(a => a !== '--');
  const root = path.resolve(dir ?? path.join(__dirname, '..', '..', 'shared', 'upstream'));
  if (!fs.existsSync(root)) {
    throw new Error(`CRD folder ${root} does not exist; pass the folder holding the pinned upstream CRDs`);
  }
  const outdir = path.join(__dirname, '..', 'src', 'imports');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-import-'));
  fs.mkdirSync(outdir, { recursive: true });
  const cdk8s = path.join(__dirname, '..', 'node_modules', '.bin', 'cdk8s');
  const only = process.env.IMPORT_ONLY;
  for (const spec of SPECS.filter(s => !only || s.module === only)) {
    const crds = loadCrds(root, spec);
    const file = path.join(tmp, `${spec.module}.yaml`);
    fs.writeFileSync(file, crds.map(c => stringify(c)).join('---\n'));
    execFileSync(cdk8s, ['import', file, '--language', 'typescript', '--output', outdir, '--no-save', '--no-check-upgrade'], {
      stdio: 'inherit',
      cwd: tmp,
    });
    const generated = path.join(outdir, `${spec.module}.ts`);
    if (!fs.existsSync(generated)) throw new Error(`cdk8s import did not write ${generated}`);
    console.log(`imported ${spec.kinds.join(', ')} (${spec.group}/${spec.version}) -> src/imports/${spec.module}.ts`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

main();
