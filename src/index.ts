export * from './labels';
export * from './mesh-identity';
export * from './waypoint';
export * from './ambient-namespace';
