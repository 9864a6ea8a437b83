import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshContext } from '../_context';
import * as gwapi from '../imports/gateway.networking.k8s.io';

/** One ReferenceGrant: routes of `routeNamespace` may send to Service `serviceNamespace/service`. */
interface GrantRequest {
  readonly routeNamespace: string;
  readonly serviceNamespace: string;
  readonly service: string;
  /** Every route that needs it, in declaration order (the owner is chosen from them at synth). */
  readonly routes: IConstruct[];
  /** The grant made in an earlier pass, and the route it was made under. */
  made?: { owner: IConstruct; id: string; grant: ApiObject };
}

/** The app's grant requests, by `routeNamespace->serviceNamespace/service` (a MeshContext slot). */
const GRANTS_SLOT = 'traffic.reference-grants';

/**
 * A route in one namespace may send to a Service in another only with a ReferenceGrant there. Records
 * that `route` needs one; the grant is written once per app, at synth, under the route with the
 * smallest construct path among those that need it, so the same program writes it into the same chart
 * (file) whatever order routes and charts are declared in.
 */
export function requestReferenceGrant(route: IConstruct, routeNamespace: string, serviceNamespace: string, service: string): void {
  const context = MeshContext.of(route);
  const requests = context.slot(GRANTS_SLOT, () => {
    const created = new Map<string, GrantRequest>();
    context.onPrepare(GRANTS_SLOT, () => writeGrants(created));
    return created;
  });
  const key = `${routeNamespace}->${serviceNamespace}/${service}`;
  const request = requests.get(key) ?? { routeNamespace, serviceNamespace, service, routes: [] };
  requests.set(key, request);
  if (!request.routes.includes(route)) request.routes.push(route);
}

/** Writes each grant under its owner; moves it when a route added since the last pass owns it now. */
function writeGrants(requests: Map<string, GrantRequest>): void {
  for (const request of requests.values()) {
    const owner = request.routes.reduce((a, b) => (b.node.path < a.node.path ? b : a));
    if (request.made?.owner === owner) continue;
    if (request.made) request.made.owner.node.tryRemoveChild(request.made.id);
    const id = `Grant-${request.serviceNamespace}-${request.service}`;
    const grant = new gwapi.ReferenceGrant(owner, id, {
      metadata: { name: `from-${request.routeNamespace}-to-${request.service}`.slice(0, 253), namespace: request.serviceNamespace },
      spec: {
        from: [
          { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: request.routeNamespace },
          { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: request.routeNamespace },
        ],
        to: [{ group: '', kind: 'Service', name: request.service }],
      },
    });
    request.made = { owner, id, grant };
  }
}
