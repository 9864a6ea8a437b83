export * from './labels';
export * from './mesh-identity';
export * from './waypoint';
export * from './ambient-namespace';
export * from './condition';
export * from './policy-source';
export * from './policy-target';
export * from './zero-trust-policy';
