import { MeshFinding } from './analyzer';
import { CHECKS } from './checks';

/** Findings as a terminal table (one block per finding). */
export function formatTable(findings: MeshFinding[], objectCount: number): string {
  if (findings.length === 0) return `No problems found in ${objectCount} objects.\n`;
  const lines: string[] = [];
  for (const f of findings) {
    const obj = `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`;
    lines.push(`${f.severity.toUpperCase().padEnd(7)} ${f.code}  ${f.cluster ? `${f.cluster}: ` : ''}${obj}${f.source ? `  (${f.source})` : ''}`);
    lines.push(`        ${f.message}`);
    lines.push(`        fix: ${f.fix}${f.upstreamCodes.length ? `  [${f.upstreamCodes.join(', ')}]` : ''}`);
  }
  const count = (s: string) => findings.filter(f => f.severity === s).length;
  lines.push('', `${findings.length} findings in ${objectCount} objects: ${count('error')} errors, ${count('warning')} warnings, ${count('info')} info.`);
  return lines.join('\n') + '\n';
}

/** Findings as JSON. */
export function formatJson(findings: MeshFinding[], objectCount: number): string {
  const count = (s: string) => findings.filter(f => f.severity === s).length;
  return JSON.stringify({ objects: objectCount, summary: { errors: count('error'), warnings: count('warning'), info: count('info') }, findings }, null, 2) + '\n';
}

/** Findings as SARIF 2.1.0, for code scanning. */
export function formatSarif(findings: MeshFinding[], toolVersion: string): string {
  const level = (s: string) => (s === 'info' ? 'note' : s);
  const rules = Object.values(CHECKS).map(c => ({
    id: c.code,
    name: c.title.replace(/[^A-Za-z0-9]+/g, ' ').trim().split(' ').map(w => w[0].toUpperCase() + w.slice(1)).join(''),
    shortDescription: { text: c.title },
    defaultConfiguration: { level: level(c.severity) },
    properties: c.upstream?.length ? { upstreamCodes: c.upstream } : undefined,
  }));
  const results = findings.map(f => ({
    ruleId: f.code,
    level: level(f.severity),
    message: { text: `${f.cluster ? `${f.cluster}: ` : ''}${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}: ${f.message} Fix: ${f.fix}` },
    locations: f.source && !f.source.includes('://') ? [{ physicalLocation: { artifactLocation: { uri: f.source.split('\\').join('/') } } }] : undefined,
    properties: { kind: f.kind, namespace: f.namespace, name: f.name, ...(f.cluster ? { cluster: f.cluster } : {}) },
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'cdk8s-istio-ambient', version: toolVersion, informationUri: 'https://github.com/cdk8s-istio-ambient/cdk8s-istio-ambient', rules } }, results }],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
