/**
 * Synth-time check of every principal an AuthorizationPolicy in the app names, against the trust
 * domain and aliases of the app's AmbientMesh (rules in semantics/trust).
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { PrincipalEnforcement, PrincipalTrust, TrustDomainBundle, classifyPrincipal, parsePrincipal } from './semantics/trust';

interface PrincipalUse { readonly principal: string; readonly field: string }

function principalUses(spec: any): PrincipalUse[] {
  const uses: PrincipalUse[] = [];
  (spec?.rules ?? []).forEach((rule: any, i: number) => {
    for (const from of rule?.from ?? []) {
      for (const field of ['principals', 'notPrincipals']) {
        for (const p of from?.source?.[field] ?? []) uses.push({ principal: p, field: `rules[${i}].from.source.${field}` });
      }
    }
    for (const when of rule?.when ?? []) {
      if (when?.key !== 'source.principal') continue;
      for (const field of ['values', 'notValues']) {
        for (const p of when[field] ?? []) uses.push({ principal: p, field: `rules[${i}].when[source.principal].${field}` });
      }
    }
  });
  return uses;
}

/** Errors for principals that cannot match a peer of this mesh where they are enforced. */
export function principalTrustErrors(root: IConstruct, bundle: TrustDomainBundle): string[] {
  const errors: string[] = [];
  const aliases = bundle.aliases.length ? `aliases ${bundle.aliases.map(a => `"${a}"`).join(', ')}` : 'no aliases';
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c) || c.kind !== 'AuthorizationPolicy' || !c.apiVersion.startsWith('security.istio.io/')) continue;
    const spec = c.toJson().spec;
    // A policy bound with targetRefs runs in a waypoint or gateway (Envoy); one without runs in ztunnel.
    const enforcement: PrincipalEnforcement = spec?.targetRefs?.length || spec?.targetRef ? 'envoy' : 'ztunnel';
    for (const use of principalUses(spec)) {
      const verdict = classifyPrincipal(use.principal, bundle, enforcement);
      const parsed = parsePrincipal(use.principal);
      if (!parsed) continue;
      const fixed = `${bundle.trustDomain}/ns/${parsed.namespace}/sa/${parsed.serviceAccount}`;
      const where = `[${c.node.path}] AuthorizationPolicy ${c.metadata.namespace ?? ''}/${c.name} ${use.field}`;
      if (verdict === PrincipalTrust.FOREIGN) {
        errors.push(`${where}: principal "${use.principal}" names trust domain "${parsed.trustDomain}", which is neither the mesh trust domain "${bundle.trustDomain}" nor an alias (${aliases}), so it matches no workload of this mesh. Write "${fixed}" (or pass the mesh's trustDomain), or add "${parsed.trustDomain}" to trustDomainAliases if it is the mesh's former domain (honoured by waypoints only).`);
      } else if (verdict === PrincipalTrust.LITERAL_MISMATCH) {
        errors.push(`${where}: principal "${use.principal}" is enforced by ztunnel, which matches principals literally (no "cluster.local" pointer and no alias expansion, istio/ztunnel#1260), while peers present "${bundle.trustDomain}": the rule silently never matches (an ALLOW then denies). Write "${fixed}" (or pass the mesh's trustDomain), or use PolicySource.serviceAccountAnyTrustDomain("${parsed.namespace}", "${parsed.serviceAccount}") (source.serviceAccounts, which names no trust domain).`);
      }
    }
  }
  return errors;
}
