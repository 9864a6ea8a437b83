import * as fs from 'fs';
import * as path from 'path';
import { load, loadAll } from 'js-yaml';
import { AccessRequest, MeshAnalyzer } from '../src';
import { mermaidGraph } from '../src/analysis/mermaid';
import { collectAtoms, ipRepresentatives, requestRepresentatives, sourceClasses, stringRepresentatives, tokenRepresentatives } from '../src/analysis/request-space';
import { runCli } from '../src/cli';

const FIXTURES = path.join(__dirname, 'fixtures', 'diff');
const BEFORE = path.join(FIXTURES, 'before.yaml');
const AFTER = path.join(FIXTURES, 'after.yaml');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), stdin: () => '' } };
}

function fixture(file: string): any[] {
  return (loadAll(fs.readFileSync(file, 'utf8')) as any[]).filter(Boolean);
}

describe('request space: one representative per class the patterns tell apart', () => {
  test('paths: exact, prefix, suffix, presence, and one value no pattern matches', () => {
    expect(stringRepresentatives(['/charge', '/api/orders/*', '*.json', '*'], ['/', '/zz-unmatched'])).toEqual([
      '/', // matches only '*'
      '/charge',
      '/api/orders/x',
      'x.json',
      '/api/orders/x.json', // prefix and suffix together
    ]);
    // Nested prefixes are three classes: under both, under the outer only, under neither.
    expect(stringRepresentatives(['/api/*', '/api/orders/*'], ['/'])).toEqual(['/', '/api/x', '/api/orders/x']);
    expect(stringRepresentatives([], ['GET', 'PUT'])).toEqual(['GET']);
  });

  test('IP blocks: inside each block (first and last address) and outside all of them', () => {
    expect(ipRepresentatives(['10.0.0.0/8', '10.1.0.0/16', '192.168.1.7'])).toEqual(['10.0.0.0', '10.1.0.0', '192.168.1.7', '203.0.113.77']);
    expect(ipRepresentatives([])).toEqual([]);
  });

  test('tokens: none, invalid, one per request-principal class, crossed with claim classes', () => {
    const atoms = collectAtoms([{ spec: { rules: [{ from: [{ source: { requestPrincipals: ['https://idp/alice'] } }], when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }] }] } }]);
    expect(tokenRepresentatives(atoms, ['https://idp'])).toEqual([
      undefined,
      { issuer: 'https://idp', subject: 'x', invalid: true },
      { issuer: 'https://idp', subject: 'alice' },
      { issuer: 'https://idp', subject: 'alice', claims: { groups: 'zz-other' } },
      { issuer: 'https://idp', subject: 'alice', claims: { groups: 'admin' } },
      { issuer: 'https://idp', subject: 'x' },
      { issuer: 'https://idp', subject: 'x', claims: { groups: 'zz-other' } },
      { issuer: 'https://idp', subject: 'x', claims: { groups: 'admin' } },
    ]);
    expect(tokenRepresentatives(collectAtoms([]), [])).toEqual([undefined]);
  });

  test('sources: identities that no pattern tells apart are one class; plus any other identity and no identity', () => {
    const atoms = collectAtoms([{ spec: { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'], namespaces: ['ops*'] } }] }] } }]);
    expect(sourceClasses(atoms, ['shop/frontend', 'shop/orders', 'shop/payments', 'ops-a/x'])).toEqual([
      { representative: 'ops-a/x', members: ['ops-a/x'] },
      { representative: 'shop/frontend', members: ['shop/frontend'] },
      { representative: 'shop/orders', members: ['shop/orders', 'shop/payments'], others: true },
      { representative: undefined, members: [] },
    ]);
  });

  test('the product of the classes; L7 attributes are one class where no L7 proxy sees them', () => {
    const atoms = collectAtoms([{ spec: { rules: [{ to: [{ operation: { methods: ['GET'], paths: ['/a*'], hosts: ['x.example'] } }], when: [{ key: 'request.headers[X-User]', values: ['u1'] }] }] } }]);
    const l7 = requestRepresentatives(atoms, { l7: true, issuers: [], defaultHost: 'svc.ns.svc.cluster.local' });
    // methods {GET, other} x paths {/, /ax} x hosts {default, x.example} x header {absent, u1, other}
    expect(l7.length).toBe(2 * 2 * 2 * 3);
    expect(l7).toContainEqual({ method: 'POST', path: '/ax', host: 'x.example', headers: { 'x-user': 'u1' }, token: undefined, sourceIp: undefined, destinationIp: undefined });
    expect(requestRepresentatives(atoms, { l7: false, issuers: [], defaultHost: 'h' })).toEqual([{ method: 'GET', path: '/', headers: {}, sourceIp: undefined, destinationIp: undefined }]);
  });
});

describe('diff: the pull request of issue 13', () => {
  test('both widenings are found, in the user\'s terms, and exit 1', () => {
    const c = capture();
    expect(runCli(['diff', BEFORE, AFTER, '--format', 'json'], c.io)).toBe(1);
    const d = JSON.parse(c.out.join(''));
    expect(d.accessGained.map((g: any) => g.summary)).toEqual([
      'shop/frontend → orders:8080 GET /api/orders/x: DENY (waypoint, shop/orders-waypoint) → ALLOW (waypoint, shop/orders-waypoint)',
      'shop/frontend → payments:8080 GET /charge/status with JWT from https://auth.example.com: DENY (waypoint, shop/payments-waypoint) → ALLOW (waypoint, shop/payments-waypoint)',
    ]);
    expect(d.accessLost).toEqual([]);
    expect(d.accessWidened).toBe(true);
    expect(d.changed).toEqual(['AuthorizationPolicy.security.istio.io shop/orders-waypoint', 'AuthorizationPolicy.security.istio.io shop/payments-waypoint']);
  });

  test('every reported widening is confirmed by check-access on its representative', () => {
    const before = MeshAnalyzer.fromFiles([BEFORE]);
    const after = MeshAnalyzer.fromFiles([AFTER]);
    const d = MeshAnalyzer.diff(before, after);
    expect(d.accessGained.length).toBe(2);
    for (const g of d.accessGained) {
      expect(before.checkAccess(g.representative).allowed).toBe(false);
      expect(after.checkAccess(g.representative).allowed).toBe(true);
    }
    expect(d.accessGained[1].representative).toMatchObject({ from: 'shop/frontend', to: 'shop/payments', port: 8080, method: 'GET', path: '/charge/status', token: { issuer: 'https://auth.example.com' } });
  });

  test('the Markdown for the pull-request comment, with the picture', () => {
    const c = capture();
    expect(runCli(['diff', BEFORE, AFTER], c.io)).toBe(1);
    const md = c.out.join('');
    expect(md).toContain('**Access:** 2 gained (access widened: review), 0 lost, 0 moved between enforcement points or policies.');
    expect(md).toContain('| shop/frontend | shop/payments:8080 | service | GET /charge/status with JWT from https://auth.example.com | DENY (waypoint, shop/payments-waypoint) | ALLOW (waypoint, shop/payments-waypoint) |');
    expect(md).toContain('```mermaid\nflowchart LR\n  subgraph ns0["namespace shop"]\n    n0["svc orders"]\n    n1["svc payments"]\n    n2(["sa frontend"])\n  end\n  n2 ==>|"widened: waypoint → ztunnel"| n0\n');
    expect(md).toContain('  linkStyle 1 stroke:#2da44e,stroke-width:3px\n```');
    // The README shows this exact output.
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(md.trim());
  });

  test('the reverse change narrows access: reported, exit 0', () => {
    const c = capture();
    expect(runCli(['diff', AFTER, BEFORE, '--format', 'json'], c.io)).toBe(0);
    const d = JSON.parse(c.out.join(''));
    expect(d.accessGained).toEqual([]);
    expect(d.accessLost.map((l: any) => l.request)).toEqual(['GET /api/orders/x', 'GET /charge/status with JWT from https://auth.example.com']);
    expect(d.accessWidened).toBe(false);
    // Narrowed edges: dashed and red (frontend keeps other requests, so the edges stay).
    expect(d.markdown).toContain('  n2 -.->|"narrowed: waypoint → ztunnel"| n0\n  n2 -.->|"narrowed: waypoint → ztunnel"| n1\n'
      + '  linkStyle 0 stroke:#cf222e,stroke-width:2px\n  linkStyle 1 stroke:#cf222e,stroke-width:2px\n```');
  });

  test('identical inputs: unchanged, exit 0, and unchanged Services are not re-evaluated', () => {
    const c = capture();
    expect(runCli(['diff', BEFORE, BEFORE], c.io)).toBe(0);
    expect(c.out.join('')).toContain('**Access:** unchanged.');
    expect(MeshAnalyzer.diff(MeshAnalyzer.fromFiles([BEFORE]), MeshAnalyzer.fromFiles([BEFORE])).requestsEvaluated).toBe(0);
  });
});

describe('diff: posture and routing', () => {
  const base = () => fixture(BEFORE);
  const diff = (before: any[], after: any[]) => MeshAnalyzer.diff(MeshAnalyzer.fromObjects(before), MeshAnalyzer.fromObjects(after));

  test('STRICT to PERMISSIVE mTLS is a weaker posture and fails the diff', () => {
    const pa = (mode: string) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec: { mtls: { mode } } });
    const d = diff([...base(), pa('STRICT')], [...base(), pa('PERMISSIVE')]);
    expect(d.postureChanges).toContainEqual({ service: 'shop/payments', aspect: 'mtls', before: 'STRICT (namespace shop/default)', after: 'PERMISSIVE (namespace shop/default)', widens: true });
    expect(d.accessWidened).toBe(true);
    expect(d.markdown).toContain('| shop/payments | mtls | STRICT (namespace shop/default) | PERMISSIVE (namespace shop/default) | **weaker** |');
    expect(diff([...base(), pa('PERMISSIVE')], [...base(), pa('STRICT')]).accessWidened).toBe(false);
  });

  test('dropping require-waypoint: pods accept traffic that skips the waypoint (bypass), access gained to pods', () => {
    const after = base().filter(o => o.metadata.name !== 'require-waypoint');
    const d = diff(base(), after);
    expect(d.postureChanges).toContainEqual({
      service: 'shop/payments', aspect: 'bypass', before: 'pods reject traffic that skips the waypoint', after: 'pods accept traffic that skips the waypoint', widens: true,
    });
    expect(d.accessGained).toContainEqual(expect.objectContaining({
      destination: 'shop/payments',
      via: 'pod',
      request: 'any request, dialing pod IPs',
      before: 'DENY (ztunnel, shop/require-waypoint)',
      after: 'ALLOW (ztunnel)',
      sources: ['shop/frontend', 'shop/orders', 'shop/payments', 'any other identity', 'unauthenticated client'],
    }));
    // The picture: new edges straight to the pods, next to the unchanged edge through the waypoint.
    expect(d.markdown).toContain('  n3 ==>|"widened: pod IPs: ztunnel"| n0\n  n3 -->|"waypoint → ztunnel"| n0\n');
    expect(d.markdown).toContain('  n2(["any other identity"])\n  n6(["unauthenticated client"])\n  subgraph ns0["namespace shop"]\n');
    expect(d.accessWidened).toBe(true);
  });

  test('ingress-use-waypoint removed: ingress traffic skips the waypoint\'s L7 checks', () => {
    const gateway = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'shop' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } };
    const allowGateway = {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'gateway-to-pods', namespace: 'shop' },
      spec: { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/public-istio'] } }] }] },
    };
    // Namespace-wide policies apply at the gateway too: it admits its clients (as IngressGateway does).
    const gatewayClients = {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'public-clients', namespace: 'shop' },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }], rules: [{ from: [{ source: { ipBlocks: ['0.0.0.0/0', '::/0'] } }] }] },
    };
    const withLabel = (value: string) => base().map(o => (o.kind === 'Namespace' ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'istio.io/ingress-use-waypoint': value } } } : o));
    const d = diff([...withLabel('true'), gateway, allowGateway, gatewayClients], [...withLabel('false'), gateway, allowGateway, gatewayClients]);
    expect(d.postureChanges).toContainEqual({ service: 'shop/payments', aspect: 'ingress-use-waypoint', before: 'true', after: 'false', widens: true });
    // A valid token passed the waypoint before too: only requests without one (or with an invalid one) widen.
    expect(d.accessGained.map(c => c.summary)).toEqual([
      'external client via shop/public → orders:8080 any request: DENY (waypoint, shop/orders-waypoint) → ALLOW (ztunnel, shop/gateway-to-pods)',
      'external client via shop/public → payments:8080 any request with an invalid JWT from https://auth.example.com: DENY (waypoint, shop/payments-jwt) → ALLOW (ztunnel, shop/gateway-to-pods)',
      'external client via shop/public → payments:8080 any request without JWT: DENY (waypoint, shop/payments-waypoint) → ALLOW (ztunnel, shop/gateway-to-pods)',
    ]);
  });

  test('routing: backends, weights, mirrors and timeouts', () => {
    const route = (weights: [number, number], timeout?: string) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'orders', namespace: 'shop' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'orders', port: 8080 }],
        rules: [{
          backendRefs: [{ name: 'orders', port: 8080, weight: weights[0] }, { name: 'orders-v2', port: 8080, weight: weights[1] }],
          ...(timeout ? { timeouts: { request: timeout }, filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'orders-shadow', port: 8080 } } }] } : {}),
        }],
      },
    });
    const d = diff([...base(), route([90, 10])], [...base(), route([50, 50], '2s')]);
    expect(d.routingChanges).toEqual([{
      route: 'HTTPRoute shop/orders',
      before: 'parents Service orders; rule 0: orders:8080 (weight 90), orders-v2:8080 (weight 10)',
      after: 'parents Service orders; rule 0: orders:8080 (weight 50), orders-v2:8080 (weight 50); mirror orders-shadow:8080; timeouts {"request":"2s"}',
    }]);
    const vs = (host: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'pay', namespace: 'shop' }, spec: { hosts: ['payments'], http: [{ route: [{ destination: { host } }], timeout: '1s' }] } });
    expect(diff([...base(), vs('payments')], [...base(), vs('payments-v2')]).routingChanges).toEqual([{
      route: 'VirtualService shop/pay', before: 'hosts payments; http 0: payments; timeout 1s', after: 'hosts payments; http 0: payments-v2; timeout 1s',
    }]);
    expect(d.markdown).toContain('### Routing (1)');
    expect(d.accessWidened).toBe(false);
  });
});

/** Deterministic PRNG (Park-Miller minimal standard). */
function rng(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

describe('differential: diff against check-access on random concrete requests', () => {
  const pick = <T>(r: () => number, items: T[]): T => items[Math.floor(r() * items.length)];
  const some = <T>(r: () => number, items: T[]): T[] => items.filter(() => r() < 0.35);
  const PRINCIPALS = ['cluster.local/ns/shop/sa/a', 'cluster.local/ns/shop/sa/b', 'cluster.local/ns/shop/sa/*', 'cluster.local/ns/shop/sa/waypoint', '*'];
  const METHODS = ['GET', 'POST', 'DELETE'];
  const PATHS = ['/a', '/a/*', '*/x', '/b', '*'];
  const REQUEST_PRINCIPALS = ['iss1/*', 'iss1/alice', 'iss2/*'];

  const randomRule = (r: () => number, l7: boolean): any => {
    const rule: any = {};
    const source: any = {};
    if (r() < 0.6) source.principals = [pick(r, PRINCIPALS)];
    if (r() < 0.2) source.notPrincipals = [pick(r, PRINCIPALS)];
    if (r() < 0.2) source.namespaces = [pick(r, ['shop', 'other', 'sh*'])];
    if (l7 && r() < 0.3) source.requestPrincipals = [pick(r, REQUEST_PRINCIPALS)];
    if (Object.keys(source).length) rule.from = [{ source }];
    const operation: any = {};
    if (r() < 0.3) operation.ports = [pick(r, ['8080', '9090'])];
    if (l7 && r() < 0.5) operation.methods = some(r, METHODS).length ? some(r, METHODS) : [pick(r, METHODS)];
    if (l7 && r() < 0.5) operation.paths = [pick(r, PATHS)];
    if (l7 && r() < 0.15) operation.notPaths = [pick(r, PATHS)];
    if (Object.keys(operation).length) rule.to = [{ operation }];
    if (l7 && r() < 0.2) rule.when = [{ key: 'request.headers[x-user]', values: [pick(r, ['u1', 'u*'])] }];
    return rule;
  };

  const randomPolicies = (r: () => number): any[] => {
    const out: any[] = [];
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const atWaypoint = r() < 0.6;
      const spec: any = { action: r() < 0.75 ? 'ALLOW' : 'DENY', rules: [] };
      if (atWaypoint) spec.targetRefs = [{ group: '', kind: 'Service', name: pick(r, ['a', 'b']) }];
      const rules = Math.floor(r() * 3);
      for (let j = 0; j < rules; j++) spec.rules.push(randomRule(r, atWaypoint));
      if (spec.action === 'DENY' && spec.rules.length === 0) spec.rules.push(randomRule(r, atWaypoint));
      out.push({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: `p${i}`, namespace: 'shop' }, spec });
    }
    return out;
  };

  const mutate = (r: () => number, policies: any[]): any[] => {
    const copy = JSON.parse(JSON.stringify(policies));
    const choice = r();
    if (choice < 0.3 && copy.length > 1) {copy.splice(Math.floor(r() * copy.length), 1);} else if (choice < 0.6) {copy.push(...randomPolicies(r).slice(0, 1).map((p: any) => ({ ...p, metadata: { ...p.metadata, name: 'extra' } })));} else {
      const p = pick(r, copy) as any;
      p.spec.rules = [...p.spec.rules, randomRule(r, !!p.spec.targetRefs)];
      if (r() < 0.5 && p.spec.rules.length > 1) p.spec.rules.shift();
    }
    return copy;
  };

  /** The mesh around the policies; variants move enforcement (no waypoint, ingress through the waypoint, no RequestAuthentication). */
  const base = (variant = 0): any[] => {
    const labels: { [k: string]: string } = { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' };
    if (variant === 1) delete labels['istio.io/use-waypoint'];
    if (variant === 2) labels['istio.io/ingress-use-waypoint'] = 'true';
    const objects: any[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'shop' }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } },
    ];
    if (variant !== 3) {
      objects.push({
        apiVersion: 'security.istio.io/v1',
        kind: 'RequestAuthentication',
        metadata: { name: 'jwt', namespace: 'shop' },
        spec: { targetRefs: [{ group: '', kind: 'Service', name: 'a' }], jwtRules: [{ issuer: 'iss1', jwksUri: 'https://iss1/jwks' }] },
      });
    }
    for (const name of ['a', 'b', 'c']) {
      objects.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' }, spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [] } } } });
    }
    for (const name of ['a', 'b']) {
      objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } });
    }
    return objects;
  };

  const randomRequest = (r: () => number): AccessRequest => {
    const token = pick(r, [undefined, ['iss1', 'alice'], ['iss1', 'bob'], ['iss2', 'alice']]);
    const viaIngress = r() < 0.15 ? 'shop/public' : undefined;
    return {
      from: viaIngress ? undefined : pick(r, ['shop/a', 'shop/b', 'shop/c', 'other/x', 'shop/waypoint', undefined]),
      to: `shop/${pick(r, ['a', 'b'])}`,
      port: 8080,
      method: pick(r, ['GET', 'POST', 'DELETE', 'PUT']),
      path: pick(r, ['/', '/a', '/a/', '/a/zz', '/b', '/q/x', '/a/x', '/bb']),
      headers: pick(r, [{}, { 'x-user': 'u1' }, { 'x-user': 'u2' }]),
      ...(token ? { jwtPrincipal: `${token[0]}/${token[1]}`, token: { issuer: token[0], subject: token[1] } } : {}),
      toPod: !viaIngress && r() < 0.3,
      viaIngress,
    };
  };

  test('seeded: "unchanged" only when every random request agrees; each widening confirmed on its representative', () => {
    const r = rng(13);
    let disagreements = 0;
    let requests = 0;
    let widenings = 0;
    for (let pair = 0; pair < 60; pair++) {
      const beforePolicies = randomPolicies(r);
      const afterPolicies = r() < 0.7 ? mutate(r, beforePolicies) : randomPolicies(r);
      // Most pairs change only policies; some also move enforcement in one of the versions.
      const variants = r() < 0.7 ? [0, 0] : [pick(r, [0, 1, 2, 3]), pick(r, [0, 1, 2, 3])];
      const before = MeshAnalyzer.fromObjects([...base(variants[0]), ...beforePolicies]);
      const after = MeshAnalyzer.fromObjects([...base(variants[1]), ...afterPolicies]);
      const d = MeshAnalyzer.diff(before, after);
      for (let i = 0; i < 200; i++) {
        const q = randomRequest(r);
        requests++;
        const was = before.checkAccess(q).allowed;
        const is = after.checkAccess(q).allowed;
        if (was === is) continue;
        disagreements++;
        const via = q.viaIngress ? `ingress ${q.viaIngress}` : q.toPod ? 'pod' : 'service';
        const reported = (is ? d.accessGained : d.accessLost).filter(c => c.destination === q.to && c.via === via);
        // A decision that changed for a concrete request is in a class the diff reported.
        expect({ pair, request: q, reported: reported.length > 0 }).toEqual({ pair, request: q, reported: true });
      }
      for (const g of d.accessGained) {
        widenings++;
        expect(before.checkAccess(g.representative).allowed).toBe(false);
        expect(after.checkAccess(g.representative).allowed).toBe(true);
      }
      for (const l of d.accessLost) {
        expect(before.checkAccess(l.representative).allowed).toBe(true);
        expect(after.checkAccess(l.representative).allowed).toBe(false);
      }
      if (d.accessGained.length + d.accessLost.length + d.accessMoved.length === 0) expect(d.markdown).toContain('**Access:** unchanged.');
    }
    expect(requests).toBe(12_000);
    // The generator exercises both outcomes.
    expect(disagreements).toBeGreaterThan(100);
    expect(widenings).toBeGreaterThan(10);
  });
});

describe('explain --format mermaid', () => {
  test('the shop fixture: frontend reaches orders and payments through the waypoint, for some requests', () => {
    const c = capture();
    expect(runCli(['explain', BEFORE, '--format', 'mermaid'], c.io)).toBe(0);
    expect(c.out.join('')).toBe([
      '```mermaid',
      'flowchart LR',
      '  subgraph ns0["namespace shop"]',
      '    n0["svc orders"]',
      '    n1["svc payments"]',
      '    n2(["sa frontend"])',
      '  end',
      '  n2 -->|"waypoint → ztunnel (some requests)"| n0',
      '  n2 -->|"waypoint → ztunnel (some requests)"| n1',
      '```',
      '',
    ].join('\n'));
  });

  test('50 Services in 5 namespaces: one subgraph per namespace, each Service once, allow-all drawn once per Service', () => {
    const objects: any[] = [];
    for (let n = 0; n < 5; n++) {
      objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${n}`, labels: { 'istio.io/dataplane-mode': 'ambient' } } });
      for (let s = 0; s < 10; s++) {
        const name = `svc-${s}`;
        objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: `team-${n}` }, spec: { selector: { app: name }, ports: [{ port: 80 }] } });
        objects.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: `team-${n}` }, spec: { template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name } } } });
      }
    }
    // team-0/svc-0 admits only team-1/svc-1.
    objects.push({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'only-one', namespace: 'team-0' },
      spec: { selector: { matchLabels: { app: 'svc-0' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/team-1/sa/svc-1'] } }] }] },
    });
    const text = MeshAnalyzer.fromObjects(objects).explainMermaid();
    const lines = text.split('\n');
    expect(lines.filter(l => /^ {2}subgraph ns\d+\["namespace team-\d"\]$/.test(l)).length).toBe(5);
    expect(lines.filter(l => /^ {4}n\d+\["svc svc-\d"\]$/.test(l)).length).toBe(50);
    const edges = lines.filter(l => l.includes('-->'));
    // 49 allow-all Services: one edge each from "any identity"; svc-0 in team-0: one edge from team-1's svc-1.
    expect(edges.length).toBe(50);
    const anyNode = /^ {2}(n\d+)\(\["any identity"\]\)$/.exec(lines.find(l => l.includes('"any identity"'))!)![1];
    expect(edges.filter(e => e.startsWith(`  ${anyNode} -->|"ztunnel"|`)).length).toBe(49);
    expect(text.startsWith('```mermaid\nflowchart LR\n')).toBe(true);
    expect(text.endsWith('```\n')).toBe(true);
  });
});

describe('mermaidGraph', () => {
  test('gateways as hexagons in their namespace, identities as stadiums, labels escaped, deterministic order', () => {
    const text = mermaidGraph([
      { from: 'gateway edge/public', to: 'shop/web', label: 'ztunnel', status: 'same' },
      { from: 'any identity', to: 'shop/web', label: 'waypoint "L7"', status: 'widened' },
      { from: 'shop/curl', to: 'shop/web', label: 'ztunnel', status: 'narrowed' },
    ], ['shop/idle']);
    expect(text).toBe([
      '```mermaid',
      'flowchart LR',
      '  n2(["any identity"])',
      '  subgraph ns0["namespace edge"]',
      '    n3{{"gateway public"}}',
      '  end',
      '  subgraph ns1["namespace shop"]',
      '    n0["svc idle"]',
      '    n1["svc web"]',
      '    n4(["sa curl"])',
      '  end',
      '  n2 ==>|"widened: waypoint #quot;L7#quot;"| n1',
      '  n3 -->|"ztunnel"| n1',
      '  n4 -.->|"narrowed: ztunnel"| n1',
      '  linkStyle 0 stroke:#2da44e,stroke-width:3px',
      '  linkStyle 2 stroke:#cf222e,stroke-width:2px',
      '```',
      '',
    ].join('\n'));
  });
});

describe('diff JSON is the public MeshDiff', () => {
  test('fields', () => {
    const d = MeshAnalyzer.diff(MeshAnalyzer.fromFiles([BEFORE]), MeshAnalyzer.fromFiles([AFTER]));
    expect(Object.keys(d).sort()).toEqual(['accessGained', 'accessLost', 'accessMoved', 'accessWidened', 'added', 'changed', 'markdown', 'postureChanges', 'removed', 'requestsEvaluated', 'routingChanges']);
    expect(d.requestsEvaluated).toBeGreaterThan(0);
    void load;
  });
});
