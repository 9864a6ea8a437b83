// Traffic constructs: Gateway API routes (parents, backends, matches, filters), resilience and egress.
export * from './route-parent';
export * from './route-backend';
export * from './route-match';
export * from './route-filters';
export * from './http-route';
export * from './grpc-route';
export * from './resilience-policy';
export * from './egress-host';
