/**
 * Access conformance: check-access, explain and waypoint binding against Istio's and ztunnel's own
 * tests (istio and ztunnel 1.30.3; where a fact is only tested on istio master, the vector says so).
 * Each vector cites the upstream file and test; docs/conformance/access.md lists the coverage.
 */
import { countBySource, runVectors } from './fixtures';
import { INTEGRATION_VECTORS } from './integration.vectors';
import { ISTIOD_CONVERSION_VECTORS } from './istiod-conversion.vectors';
import { PLACEMENT_VECTORS } from './placement.vectors';
import { SIDECAR_VECTORS } from './sidecar.vectors';
import { ZTUNNEL_RBAC_VECTORS } from './ztunnel-rbac.vectors';
import { MeshAnalyzer } from '../../../src';

runVectors('ztunnel src/rbac.rs and src/state.rs', ZTUNNEL_RBAC_VECTORS);
runVectors('istiod ambient authorization conversion', ISTIOD_CONVERSION_VECTORS);
runVectors('istio ambient integration tests', INTEGRATION_VECTORS);
runVectors('sidecar-mode destinations (istio security integration tests)', SIDECAR_VECTORS);

describe('placement: which waypoint serves what, which policies apply where', () => {
  test.each(PLACEMENT_VECTORS.map(v => [`${v.name} [${v.cite.repo}@${v.cite.tag} ${v.cite.file} ${v.cite.test}]`, v] as const))('%s', (_n, v) => {
    const analyzer = MeshAnalyzer.fromObjects(v.manifests);
    if (v.explain) {
      const [ns, name] = v.service!.split('/');
      const [e] = analyzer.explain({ namespace: ns, service: name });
      expect(e).toMatchObject(v.explain);
    } else {
      expect(analyzer.checkAccess(v.request!).hops.map(h => h.where)).toEqual(v.hops);
    }
  });
});

describe('declaration order never matters', () => {
  const all = [...ZTUNNEL_RBAC_VECTORS, ...ISTIOD_CONVERSION_VECTORS, ...INTEGRATION_VECTORS, ...SIDECAR_VECTORS];
  test.each(all.map(v => [v.name, v] as const))('reversed manifests, same decision: %s', (_n, v) => {
    const forward = MeshAnalyzer.fromObjects(v.manifests).checkAccess(v.request);
    const reversed = MeshAnalyzer.fromObjects([...v.manifests].reverse()).checkAccess(v.request);
    expect(reversed).toEqual(forward);
  });
});

describe('vector counts (docs/conformance/access.md)', () => {
  const access = [...ZTUNNEL_RBAC_VECTORS, ...ISTIOD_CONVERSION_VECTORS, ...INTEGRATION_VECTORS, ...SIDECAR_VECTORS];
  test('at least 80 access-decision vectors and 30 placement vectors', () => {
    expect(access.length).toBeGreaterThanOrEqual(80);
    expect(PLACEMENT_VECTORS.length).toBeGreaterThanOrEqual(30);
  });
  test('counts per upstream source, as documented', () => {
    expect({ access: countBySource(access), placement: countBySource(PLACEMENT_VECTORS) }).toMatchSnapshot();
  });
});
