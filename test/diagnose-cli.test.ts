import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../src/cli';
import { healthy, toYaml, withChanges } from './conformance/diagnose/fixtures';

function run(args: string[], objects: any[] = healthy): { code: number; out: string; err: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagnose-'));
  const file = path.join(dir, 'mesh.yaml');
  fs.writeFileSync(file, toYaml(objects));
  let out = '';
  let err = '';
  const code = runCli(['diagnose', file, ...args], { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => '' });
  return { code, out: out.split(file).join('mesh.yaml'), err };
}

describe('diagnose CLI', () => {
  const broken = withChanges({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'payments', namespace: 'shop' },
    spec: { hosts: ['payments'], http: [{ route: [{ destination: { host: 'payments', subset: 'v2' } }] }] },
  });

  it('numbers the causes, names Kind namespace/name, then the commands; exit 0', () => {
    const r = run(['--symptom', '503', '--to', 'shop/payments:8080', '--from', 'shop/frontend'], broken);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('503 for shop/frontend → shop/payments:8080');
    expect(lines[2]).toBe('1. VirtualService shop/payments  [waypoint shop/waypoint]');
    expect(lines[3]).toBe('   why: VirtualService payments routes to subset "v2" of payments, which no DestinationRule defines: Envoy has no such cluster and answers 503.');
    expect(lines[4]).toBe('   fix: Define subset "v2" in the DestinationRule for payments, or route to a defined subset.');
    expect(r.out).toContain('Confirm on the cluster:\n');
    expect(r.out).toContain('  kubectl get endpointslices -n shop -l kubernetes.io/service-name=payments\n');
    expect(r.out).toContain('  istioctl proxy-config routes deploy/waypoint -n shop\n');
    expect(r.out).toContain('  istioctl proxy-config endpoints deploy/waypoint -n shop\n');
    expect(r.out).toContain('  kubectl logs -n shop -l gateway.networking.k8s.io/gateway-name=waypoint --tail=100\n');
    expect(r.out).toContain('  kubectl logs -n istio-system -l app=ztunnel --tail=100\n');
  });

  it('--format json gives causes (object, hop, why, fix) most likely first, and commands', () => {
    const r = run(['--symptom', '503', '--to', 'shop/payments:8080', '--from', 'shop/frontend', '--format', 'json'], broken);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(Object.keys(json).sort()).toEqual(['causes', 'commands', 'request', 'symptom']);
    expect(json.causes[0]).toEqual({
      object: { kind: 'VirtualService', namespace: 'shop', name: 'payments' },
      hop: 'waypoint shop/waypoint',
      why: 'VirtualService payments routes to subset "v2" of payments, which no DestinationRule defines: Envoy has no such cluster and answers 503.',
      fix: 'Define subset "v2" in the DestinationRule for payments, or route to a defined subset.',
    });
    expect(json.commands[0]).toBe('kubectl get endpointslices -n shop -l kubernetes.io/service-name=payments');
  });

  it('exits 1 with "No cause found" when the manifests explain nothing', () => {
    const r = run(['--symptom', 'not-captured', '--to', 'shop/payments', '--from', 'shop/frontend']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('No cause found in the manifests.\n');
    expect(r.out).toContain('  istioctl ztunnel-config workloads --workload-namespace shop\n');
  });

  it('denied names the deciding policy and the ztunnel policy command', () => {
    const r = run(['--symptom', 'denied', '--to', 'shop/payments:8080', '--from', 'shop/frontend', '--method', 'GET', '--path', '/charge/1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('1. AuthorizationPolicy shop/payments  [waypoint shop/waypoint]\n');
    expect(r.out).toContain('  istioctl ztunnel-config policies --policy-namespace shop\n');
  });

  it('ingress requests get the gateway commands', () => {
    const r = run(['--symptom', '404', '--to', 'shop/web', '--via-ingress', 'edge/public', '--host', 'other.example.com']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('1. Gateway edge/public  [ingress gateway edge/public]\n');
    expect(r.out).toContain('  istioctl proxy-config routes deploy/public-istio -n edge\n');
    expect(r.out).toContain('  kubectl logs -n edge -l gateway.networking.k8s.io/gateway-name=public --tail=100\n');
  });

  it.each([
    [['--to', 'shop/payments'], 'diagnose needs --symptom 404|503|denied|tls|not-captured|not-synced'],
    [['--symptom', '500', '--to', 'shop/payments'], '--symptom must be 404, 503, denied, tls, not-captured or not-synced (got "500")'],
    [['--symptom', '404'], 'diagnose needs --to <namespace>/<service>[:port]'],
    [['--symptom', '404', '--to', 'payments'], '--to "payments" must be <namespace>/<service>[:port]'],
    [['--symptom', '404', '--to', 'shop/payments', '--from', 'frontend'], '--from "frontend" must be <namespace>/<serviceaccount>'],
  ])('usage error %j exits 2', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(message);
  });

  it('an unknown Service is an input error (exit 2)', () => {
    const r = run(['--symptom', '404', '--to', 'shop/nothing']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('Service shop/nothing is not in the manifests\n');
  });
});
