import * as kplus from 'cdk8s-plus-28';
import { testChart } from './support';
import { MeshIdentity } from '../src';

describe('MeshIdentity', () => {
  test('principal and SPIFFE ID with the default trust domain', () => {
    const id = MeshIdentity.fromServiceAccountName('default', 'bookinfo-productpage');
    expect(id.principal).toBe('cluster.local/ns/default/sa/bookinfo-productpage');
    expect(id.spiffeId).toBe('spiffe://cluster.local/ns/default/sa/bookinfo-productpage');
    expect([id.trustDomain, id.namespace, id.serviceAccount]).toEqual(['cluster.local', 'default', 'bookinfo-productpage']);
  });

  test('custom trust domain', () => {
    expect(MeshIdentity.fromServiceAccountName('shop', 'api', 'prod.example.com').principal).toBe('prod.example.com/ns/shop/sa/api');
  });

  test('from a cdk8s-plus ServiceAccount in the chart namespace', () => {
    const chart = testChart({ namespace: 'shop' });
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'api' } });
    expect(MeshIdentity.fromServiceAccount(sa).principal).toBe('cluster.local/ns/shop/sa/api');
  });

  test('from a cdk8s-plus ServiceAccount with its own namespace', () => {
    const chart = testChart({ namespace: 'shop' });
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'api', namespace: 'payments' } });
    expect(MeshIdentity.fromServiceAccount(sa, 'td').principal).toBe('td/ns/payments/sa/api');
  });

  test('refuses a cdk8s-plus ServiceAccount imported by name, pointing to fromServiceAccountName()', () => {
    const sa = kplus.ServiceAccount.fromServiceAccountName(testChart(), 'sa', 'curl', { namespaceName: 'default' });
    expect(() => MeshIdentity.fromServiceAccount(sa)).toThrow("[test/sa] MeshIdentity.fromServiceAccount() needs a ServiceAccount, but it holds no Kubernetes object (objects imported by name, such as fromServiceAccountName(), are not declared in this app). Pass a cdk8s-plus object (any version), an ApiObject, or one object of an Include (include.apiObjects.find(o => o.kind === 'ServiceAccount' && o.name === '...')); for one declared elsewhere use MeshIdentity.fromServiceAccountName(namespace, name).");
    expect(MeshIdentity.fromServiceAccountName('default', 'curl').principal).toBe('cluster.local/ns/default/sa/curl');
  });

  test('refuses a ServiceAccount without namespace', () => {
    const sa = new kplus.ServiceAccount(testChart(), 'sa', { metadata: { name: 'api' } });
    expect(() => MeshIdentity.fromServiceAccount(sa)).toThrow('[test/sa] ServiceAccount "api" has no namespace.');
  });

  test.each([
    ['Shop', 'api', 'cluster.local', 'namespace "Shop" is not a valid namespace name'],
    ['shop', 'API', 'cluster.local', 'service account "API" is not a valid object name'],
    ['shop', 'api', 'spiffe://cluster.local', 'trust domain "spiffe://cluster.local" is invalid'],
    ['shop', 'api', 'cluster.local/ns', 'trust domain "cluster.local/ns" is invalid'],
  ])('refuses %s/%s in %s', (ns, sa, td, message) => {
    expect(() => MeshIdentity.fromServiceAccountName(ns, sa, td)).toThrow(message);
  });
});
