/**
 * Conformance vectors: what istiod does with several DestinationRules for one host, and what the
 * library and the analyzer (AMB136) do about it. Upstream: istio/istio 1.30.3,
 * pilot/pkg/model/push_context.go (setDestinationRules, sortConfigBySelectorAndCreationTime),
 * pilot/pkg/model/destination_rule.go (mergeDestinationRule), pilot/pkg/model/config.go
 * (ResolveShortnameToFQDN, sortConfigByCreationTime) and their tests in push_context_test.go and
 * config_test.go. On master, mergeDestinationRule keeps "first wins" between user-written rules and
 * only merges field by field with rules istiod synthesizes from Gateway API backend policies.
 */
import * as kplus from 'cdk8s-plus-28';
import { AmbientNamespace, MeshAnalyzer, ResiliencePolicy, ResiliencePreset } from '../../src';
import { destinationRuleHost, destinationRuleMergeLoss, DestinationRuleShape } from '../../src/semantics/destination-rules';
import { testChart } from '../support';

const rule = (name: string, host: string, extra: Partial<DestinationRuleShape> = {}): DestinationRuleShape => ({
  name, namespace: 'test', host, hasTrafficPolicy: false, subsets: [], hasWorkloadSelector: false, exportTo: [], ...extra,
});

const dr = (name: string, spec: any, namespace = 'shop') => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec });
const amb136 = (objects: any[]) => MeshAnalyzer.fromObjects(objects, 'drs.yaml').analyze().filter(f => f.code === 'AMB136');

describe('conformance: several DestinationRules for one host', () => {
  test('a short host is a Service of the rule\'s namespace; a dotted host is taken as written', () => {
    // config_test.go TestResolveShortnameToFQDN: "foo" in namespace default with domain cluster.local is
    // "foo.default.svc.cluster.local"; "foo.bar" stays "foo.bar"; "*" and IP addresses stay as written.
    expect(destinationRuleHost('foo', 'default')).toBe('foo.default.svc.cluster.local');
    expect(destinationRuleHost('foo.bar', 'default')).toBe('foo.bar');
    expect(destinationRuleHost('*', 'default')).toBe('*');
    expect(destinationRuleHost('42.185.131.210', 'default')).toBe('42.185.131.210');
  });

  test('two rules with a top-level trafficPolicy: the older one\'s applies, the other\'s is dropped whole', () => {
    // push_context.go setDestinationRules: "Sort by time first. So if two destination rule have top
    // level traffic policies we take the first one" (sortConfigBySelectorAndCreationTime: selector rules
    // first, then creation time, then name, then namespace). destination_rule.go mergeDestinationRule:
    // the later rule's TrafficPolicy is used only when the merged rule has none ("we only add the
    // subsets and do not overwrite anything else like exportTo or top level traffic policies").
    const loss = destinationRuleMergeLoss(rule('rule1', 'api', { hasTrafficPolicy: true }), rule('rule2', 'api.test.svc.cluster.local', { hasTrafficPolicy: true }));
    expect(loss).toEqual({ trafficPolicy: true, subsets: [] });
    const [finding, ...rest] = amb136([
      dr('api-pool', { host: 'api', trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } }),
      dr('api-lb', { host: 'api.shop.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }),
    ]);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'error',
      kind: 'DestinationRule',
      namespace: 'shop',
      name: 'api-pool',
      upstreamCodes: ['KIA0201'],
      message: 'DestinationRules shop/api-lb (`drs.yaml`) and shop/api-pool (`drs.yaml`) both configure host api.shop.svc.cluster.local: istiod merges them into one, taking them oldest first (creation time, then name), and the later one loses its whole top-level trafficPolicy (not field by field). Which one wins depends on when each was created.',
      fix: 'Put the settings for a host in one DestinationRule (in the library: one ResiliencePolicy per Service).',
    });
  });

  test('subsets of two rules for one host are concatenated: nothing is lost', () => {
    // push_context_test.go TestSetDestinationRuleMerging: rule1 (subset1, subset2) and rule2 (subset3,
    // subset4) for httpbin.org in namespace "test" become one rule with 4 subsets, from [rule1, rule2].
    expect(destinationRuleMergeLoss(rule('rule1', 'httpbin.org', { subsets: ['subset1', 'subset2'] }), rule('rule2', 'httpbin.org', { subsets: ['subset3', 'subset4'] }))).toBeUndefined();
    expect(amb136([
      dr('rule1', { host: 'httpbin.org', subsets: [{ name: 'subset1' }, { name: 'subset2' }] }),
      dr('rule2', { host: 'httpbin.org', subsets: [{ name: 'subset3' }, { name: 'subset4' }] }),
    ])).toEqual([]);
  });

  test('one rule with a trafficPolicy and one with subsets only: the policy applies, the subsets are added', () => {
    // destination_rule.go mergeDestinationRule: "If the original rule did not have any top level traffic
    // policy, traffic policies from the new rule will be used"; subsets are appended.
    expect(destinationRuleMergeLoss(rule('a', 'api', { subsets: ['v1'] }), rule('b', 'api', { hasTrafficPolicy: true }))).toBeUndefined();
    expect(amb136([
      dr('versions', { host: 'api', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
      dr('pool', { host: 'api', trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } }),
    ])).toEqual([]);
  });

  test('a subset name defined twice: the later rule\'s subset is dropped', () => {
    // destination_rule.go mergeDestinationRule: a subset whose name is already in the merged rule is not
    // appended (metric DuplicatedSubsets "Duplicate subset ... found while merging destination rules").
    expect(destinationRuleMergeLoss(rule('a', 'api', { subsets: ['v1', 'v2'] }), rule('b', 'api', { subsets: ['v2', 'v3'] }))).toEqual({ trafficPolicy: false, subsets: ['v2'] });
    expect(amb136([
      dr('a', { host: 'api', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }),
      dr('b', { host: 'api', subsets: [{ name: 'v2', labels: { track: 'canary' } }, { name: 'v3', labels: { version: 'v3' } }] }),
    ]).map(f => f.message)).toEqual([
      'DestinationRules shop/a (`drs.yaml`) and shop/b (`drs.yaml`) both configure host api.shop.svc.cluster.local: istiod merges them into one, taking them oldest first (creation time, then name), and the later one loses its subsets "v2" (the other defines them too). Which one wins depends on when each was created.',
    ]);
  });

  test('rules exported differently are kept apart', () => {
    // push_context_test.go TestSetDestinationRuleMerging: rule3 (exportTo istio-system) is not merged with
    // rule1/rule2; it stays a separate entry from [rule3] (ENABLE_ENHANCED_DESTINATIONRULE_MERGE, on by default).
    expect(destinationRuleMergeLoss(rule('rule1', 'httpbin.org', { hasTrafficPolicy: true }), rule('rule3', 'httpbin.org', { hasTrafficPolicy: true, exportTo: ['istio-system'] }))).toBeUndefined();
  });

  test('a rule with a workload selector takes precedence over a namespace-wide one for its pods: not a conflict', () => {
    // push_context_test.go TestSetDestinationRuleWithWorkloadSelector: nsRule1 (selector app=app1) is
    // first and keeps its own trafficPolicy, with nsRule4 (no selector) merged under it; selector rules
    // sort before selector-less ones whatever their creation time. Intended precedence, not a conflict.
    expect(destinationRuleMergeLoss(rule('nsRule4', 'httpbin.org', { hasTrafficPolicy: true }), rule('nsRule1', 'httpbin.org', { hasTrafficPolicy: true, hasWorkloadSelector: true }))).toBeUndefined();
  });

  test('rules in different namespaces are not merged with each other', () => {
    // push_context.go setDestinationRules: rules are merged per namespace (namespaceLocalDestRules and
    // exportedDestRulesByNamespace are keyed by the rule's namespace).
    expect(destinationRuleMergeLoss(rule('a', 'httpbin.org', { hasTrafficPolicy: true }), rule('b', 'httpbin.org', { hasTrafficPolicy: true, namespace: 'other' }))).toBeUndefined();
    expect(amb136([
      dr('a', { host: 'api.shop.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }, 'shop'),
      dr('b', { host: 'api.shop.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }, 'other'),
    ])).toEqual([]);
  });

  test('the library refuses a second ResiliencePolicy for a Service instead of writing a rule istiod would drop', () => {
    const chart = testChart({ namespace: 'shop' });
    new AmbientNamespace(chart, 'ns', { name: 'shop' }).addWaypoint('waypoint');
    const api = new kplus.Service(chart, 'api', { metadata: { name: 'api' }, ports: [{ port: 8080, name: 'http' }] });
    api.selectLabel('app', 'api');
    new ResiliencePolicy(chart, 'pool', { service: api, name: 'api-pool', connectionPool: { maxConnections: 10 } });
    expect(() => new ResiliencePolicy(chart, 'lb', { service: api, name: 'api-lb', preset: ResiliencePreset.OUTLIER_DETECTION_ONLY })).toThrow(
      '[test/lb] Service "shop/api" already has a ResiliencePolicy at test/pool (DestinationRule "api-pool"); with a second DestinationRule "api-lb" for the same host, istiod keeps the trafficPolicy of the one created first and silently drops the other\'s. Merge the settings into one ResiliencePolicy for the Service.');
  });
});
