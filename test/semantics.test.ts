import { cidrsCoverEveryAddress } from '../src/semantics/cidr';
import { conflictingInjectionLabels, namespaceInjectsSidecars, namespaceIsAmbient, podMembership } from '../src/semantics/membership';
import { PodLabelIndex, SelectorIndex, selectingSamePods, selectorMatches, selectorsSelectSamePods } from '../src/semantics/selectors';

describe('membership (istio 1.30.3 injector webhook selectors, istio-cni enablementSelectors, injection analyzer)', () => {
  test.each([
    [{}, false],
    [{ 'istio-injection': 'enabled' }, true],
    [{ 'istio-injection': 'disabled' }, false],
    [{ 'istio-injection': 'false' }, false],
    [{ 'istio.io/rev': 'canary' }, true],
    [{ 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }, false],
    [{ 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }, true],
  ])('namespace %j injects sidecars: %s', (labels, injects) => {
    expect(namespaceInjectsSidecars(labels)).toBe(injects);
  });

  test.each([
    [{ 'istio.io/dataplane-mode': 'ambient' }, true],
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'disabled' }, true],
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'false' }, true],
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' }, false],
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': 'canary' }, false],
    [{ 'istio.io/dataplane-mode': 'none' }, false],
  ])('namespace %j is ambient: %s', (labels, ambient) => {
    expect(namespaceIsAmbient(labels)).toBe(ambient);
  });

  test.each([
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' }, ['istio-injection=enabled', 'istio.io/dataplane-mode=ambient']],
    [{ 'istio.io/dataplane-mode': 'none', 'istio-injection': 'enabled' }, ['istio-injection=enabled', 'istio.io/dataplane-mode=none']],
    [{ 'istio.io/rev': 'canary', 'istio.io/dataplane-mode': 'ambient' }, ['istio.io/rev=canary', 'istio.io/dataplane-mode=ambient']],
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'disabled' }, []],
    [{ 'istio.io/dataplane-mode': 'ambient' }, []],
  ])('IST0123 labels of %j: %j', (labels, conflict) => {
    expect(conflictingInjectionLabels(labels)).toEqual(conflict);
  });

  test.each([
    ['pod in an ambient namespace', { 'istio.io/dataplane-mode': 'ambient' }, {}, {}, { sidecar: false, ambientRequested: true, ambient: true, optedOut: false }],
    ['pod opted out with dataplane-mode=none', { 'istio.io/dataplane-mode': 'ambient' }, { 'istio.io/dataplane-mode': 'none' }, {}, { sidecar: false, ambientRequested: false, ambient: false, optedOut: true }],
    ['pod asking for a sidecar in an ambient namespace', { 'istio.io/dataplane-mode': 'ambient' }, { 'sidecar.istio.io/inject': 'true' }, {}, { sidecar: true, ambientRequested: true, ambient: false, optedOut: false }],
    ['pod with istio.io/rev in an ambient namespace', { 'istio.io/dataplane-mode': 'ambient' }, { 'istio.io/rev': 'canary' }, {}, { sidecar: true, ambientRequested: true, ambient: false, optedOut: false }],
    ['pod inject=true where the namespace has istio-injection=disabled', { 'istio-injection': 'disabled' }, { 'sidecar.istio.io/inject': 'true' }, {}, { sidecar: false, ambientRequested: false, ambient: false, optedOut: false }],
    ['pod labelled ambient in an injection namespace', { 'istio-injection': 'enabled' }, { 'istio.io/dataplane-mode': 'ambient' }, {}, { sidecar: true, ambientRequested: true, ambient: false, optedOut: false }],
    ['pod opting out of injection, labelled ambient', { 'istio-injection': 'enabled' }, { 'istio.io/dataplane-mode': 'ambient', 'sidecar.istio.io/inject': 'false' }, {}, { sidecar: false, ambientRequested: true, ambient: true, optedOut: false }],
    ['pod with the redirection annotation, namespace unknown', undefined, {}, { 'ambient.istio.io/redirection': 'enabled' }, { sidecar: false, ambientRequested: true, ambient: true, optedOut: false }],
  ])('%s', (_what, ns, pod, annotations, membership) => {
    expect(podMembership(ns, pod, annotations)).toEqual(membership);
  });
});

describe('selectors', () => {
  test('matchLabels selects pods that carry every key with the same value', () => {
    expect(selectorMatches({ app: 'web' }, { app: 'web', version: 'v1' })).toBe(true);
    expect(selectorMatches({ app: 'web', version: 'v2' }, { app: 'web', version: 'v1' })).toBe(false);
    expect(selectorMatches({}, { app: 'web' })).toBe(true);
  });

  test('known pods decide: both selectors must select one of them', () => {
    const pods = [{ 'cdk8s.io/metadata.addr': 'web-1', 'app': 'web' }, { 'cdk8s.io/metadata.addr': 'api-1', 'app': 'api' }];
    expect(selectorsSelectSamePods({ 'cdk8s.io/metadata.addr': 'web-1' }, { app: 'web' }, pods)).toBe(true);
    expect(selectorsSelectSamePods({ 'cdk8s.io/metadata.addr': 'web-1' }, { app: 'api' }, pods)).toBe(false);
  });

  test('without known pods, selectors over unrelated keys are not the same pods; shared keys must agree', () => {
    expect(selectorsSelectSamePods({ 'cdk8s.io/metadata.addr': 'web-1' }, { app: 'web' })).toBe(false);
    expect(selectorsSelectSamePods({ app: 'web', version: 'v1' }, { app: 'web' })).toBe(true);
    expect(selectorsSelectSamePods({ app: 'web' }, { app: 'api' })).toBe(false);
    expect(selectorsSelectSamePods({}, { app: 'api' })).toBe(true);
  });
});

describe('label indexes (the analyzer\'s lookups give the answers of the scans they replace)', () => {
  const pods = [
    { app: 'web', version: 'v1' }, { app: 'web', version: 'v2' }, { app: 'api', version: 'v1' }, { app: 'db' }, { tier: 'edge' },
  ];

  test('PodLabelIndex.select is selectorMatches over every item, in order; an empty selector selects every item', () => {
    const index = new PodLabelIndex(pods);
    expect(index.select({ app: 'web' })).toEqual([pods[0], pods[1]]);
    expect(index.select({ version: 'v1', app: 'api' })).toEqual([pods[2]]);
    expect(index.select({ version: 'v1' })).toEqual([pods[0], pods[2]]);
    expect(index.select({ app: 'web', version: 'v3' })).toEqual([]);
    expect(index.select({ missing: 'x' })).toEqual([]);
    expect(index.select({})).toEqual(pods);
  });

  test('PodLabelIndex reads labels through its accessor', () => {
    const workloads = pods.map((labels, i) => ({ name: `w${i}`, labels }));
    expect(new PodLabelIndex(workloads, w => w.labels).select({ version: 'v2' }).map(w => w.name)).toEqual(['w1']);
  });

  test('selectorsSelectSamePods gives the same answer with an index as with the label sets', () => {
    const index = new PodLabelIndex(pods);
    const selectors = [{}, { app: 'web' }, { app: 'api' }, { version: 'v1' }, { app: 'cache' }, { tier: 'edge' }, { app: 'web', version: 'v9' }, { other: 'x' }];
    for (const a of selectors) {
      for (const b of selectors) expect([a, b, selectorsSelectSamePods(a, b, index)]).toEqual([a, b, selectorsSelectSamePods(a, b, pods)]);
    }
  });

  test('selectingSamePods keeps the candidates selectorsSelectSamePods accepts, in order (seeded random selectors and pods)', () => {
    let seed = 12;
    const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const randomLabels = (max: number) => {
      const out: { [k: string]: string } = {};
      for (let i = next(max + 1); i > 0; i--) out[['app', 'version', 'tier'][next(3)]] = `v${next(3)}`;
      return out;
    };
    for (let round = 0; round < 200; round++) {
      const known = Array.from({ length: next(6) }, () => randomLabels(3));
      const candidates = Array.from({ length: next(8) }, (_, i) => ({ name: `svc-${i}`, selector: randomLabels(2) }));
      const selector = randomLabels(2);
      const expected = candidates.filter(c => selectorsSelectSamePods(selector, c.selector, known));
      expect(selectingSamePods(selector, new SelectorIndex(candidates, c => c.selector), new PodLabelIndex(known))).toEqual(expected);
    }
  });
});

describe('CIDR coverage', () => {
  // Any address of a family is inside its /0 range (CIDR arithmetic): a rule over both /0 ranges
  // matches a client whose address is not known offline.
  test.each([
    [['0.0.0.0/0', '::/0'], true],
    [['::/0', '0.0.0.0/0', '10.0.0.0/8'], true],
    [['0.0.0.0/0'], false],
    [['0.0.0.0/1', '128.0.0.0/1', '::/0'], false],
    [['not-a-cidr', '::/0'], false],
  ])('%j covers every address: %s', (cidrs, expected) => {
    expect(cidrsCoverEveryAddress(cidrs)).toBe(expected);
  });
});
