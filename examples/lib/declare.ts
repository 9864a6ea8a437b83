/**
 * Declaration order for the examples. The library promises that the order of declarations never
 * matters: an example lists the declarations that do not use each other with `declare`, and
 * test/example-orders.test.ts runs every example in other orders (reversed, shuffled) and checks that
 * it writes the same files. `npm run examples` runs them as written.
 */

/** Puts the names of independent declarations in the order to run them in. */
export type DeclarationOrder = (names: string[]) => string[];

/** The order the example is written in. */
export const AS_WRITTEN: DeclarationOrder = names => names;

/** Runs declarations that do not use each other, in `order`; returns what each one returned, by name. */
export function declare<T extends { [name: string]: () => unknown }>(
  order: DeclarationOrder,
  declarations: T,
): { [K in keyof T]: ReturnType<T[K]> } {
  const names = Object.keys(declarations);
  const ordered = order(names);
  if (ordered.length !== names.length || [...ordered].sort().join() !== [...names].sort().join()) {
    throw new Error(`declaration order [${ordered.join(', ')}] is not an order of [${names.join(', ')}]`);
  }
  const results: { [name: string]: unknown } = {};
  for (const name of ordered) results[name] = declarations[name]();
  return results as { [K in keyof T]: ReturnType<T[K]> };
}
