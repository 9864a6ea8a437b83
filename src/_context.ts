import { Construct, IConstruct } from 'constructs';

/** The construct id of the per-app context: one per App, a direct child of the root. */
export const MESH_CONTEXT_ID = 'cdk8s-istio-ambient.MeshContext';

/**
 * Per-app state of the library, held by a construct under the app's root and found with
 * `tryFindChild` (the AWS CDK way for singletons), so nothing lives at module level: two apps in one
 * process never see each other's state, and the state goes away with the app.
 *
 * It holds no Kubernetes objects (it is not in a chart), so it writes nothing.
 */
export class MeshContext extends Construct {
  /** The context of the app `scope` belongs to, created on first use. */
  public static of(scope: IConstruct): MeshContext {
    const root = rootOf(scope);
    const existing = root.node.tryFindChild(MESH_CONTEXT_ID);
    if (existing) return existing as MeshContext;
    return new MeshContext(root as Construct, MESH_CONTEXT_ID);
  }

  /**
   * Makes the objects of an app that depend on the whole app (see `onPrepare`), as synthesis would,
   * for reading a construct tree outside synthesis. Does nothing for an app without the library.
   */
  public static prepareApp(scope: IConstruct): void {
    MeshContext.find(scope)?.prepare();
  }

  /** The context of the app `scope` belongs to, if the library created one. */
  public static find(scope: IConstruct): MeshContext | undefined {
    const context = rootOf(scope).node.tryFindChild(MESH_CONTEXT_ID);
    return context instanceof MeshContext ? context : undefined;
  }

  private readonly slots = new Map<string, unknown>();
  private readonly preparers = new Map<string, () => void>();
  private preparing = false;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    // cdk8s validates in pre-order, so the root's validation is the first of every synthesis pass
    // (App.synth, App.synthYaml, Chart.toJson, Testing.synth): objects that depend on the whole app are
    // made there, before any chart is written.
    scope.node.addValidation({
      validate: () => {
        this.prepare();
        return [];
      },
    });
  }

  /**
   * Registers a step that runs at the start of every synthesis pass and makes the objects that depend
   * on the whole app (which waypoint serves what, which policies exist, ...). Steps run in key order,
   * never in declaration order, and must be idempotent: same app, same objects.
   */
  public onPrepare(key: string, prepare: () => void): void {
    if (!this.preparers.has(key)) this.preparers.set(key, prepare);
  }

  /** Runs every prepare step (see `onPrepare`). Also called by the offline analysis of a construct tree. */
  public prepare(): void {
    if (this.preparing) return; // a step that reads the tree (the mesh analysis) prepares nothing again
    this.preparing = true;
    try {
      for (const key of [...this.preparers.keys()].sort()) this.preparers.get(key)!();
    } finally {
      this.preparing = false;
    }
  }


  /**
   * The app's value for `key`, made by `create` on first use. Each module owns its keys (one key,
   * one owner), so the slots never collide.
   */
  public slot<T>(key: string, create: () => T): T {
    if (this.slots.has(key)) return this.slots.get(key) as T;
    const value = create();
    this.slots.set(key, value);
    return value;
  }
}

/** The app's root: walked up directly (`node.root` builds the list of every ancestor on each call). */
function rootOf(scope: IConstruct): IConstruct {
  let node = scope;
  while (node.node.scope) node = node.node.scope;
  return node;
}
