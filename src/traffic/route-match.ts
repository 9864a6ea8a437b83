import { constructError } from '../_validation';
import { pathMatchProblem } from '../semantics/gateway-api-syntax';

/** How a request path is matched. */
export class PathMatch {
  /** The path equals `path`. */
  public static exact(path: string): PathMatch {
    return new PathMatch('Exact', path, 'PathMatch.exact()');
  }

  /** The path starts with `path` (by segments: `/api` matches `/api/x`, not `/apix`). */
  public static prefix(path: string): PathMatch {
    return new PathMatch('PathPrefix', path, 'PathMatch.prefix()');
  }

  /** The path matches a regular expression (RE2). */
  public static regex(pattern: string): PathMatch {
    return new PathMatch('RegularExpression', pattern, 'PathMatch.regex()');
  }

  /** @internal */ public readonly _type: string;
  /** @internal */ public readonly _value: string;

  private constructor(type: string, value: string, where: string) {
    const problem = type !== 'RegularExpression' ? pathMatchProblem(value) : undefined;
    if (problem) throw constructError(where, `path: "${value}" ${problem}. Give the path as clients send it, normalized (e.g. "/api/v1").`);
    if (type === 'RegularExpression') {
      try {
        new RegExp(value);
      } catch {
        throw new Error(`path regex "${value}" is not a valid regular expression.`);
      }
    }
    this._type = type;
    this._value = value;
  }
}

/** A header (or query parameter) that must have a value. */
export interface ValueMatch {
  /** Name. */
  readonly name: string;
  /** Value (exact, or a regular expression with `regex`). */
  readonly value: string;
  /**
   * Match `value` as a regular expression.
   * @default false
   */
  readonly regex?: boolean;
}

/** Conditions of an HTTP route rule (all must hold). */
export interface HttpRouteMatch {
  /**
   * Path.
   * @default - any path ("/" prefix)
   */
  readonly path?: PathMatch;
  /**
   * HTTP method.
   * @default - any method
   */
  readonly method?: string;
  /**
   * Headers.
   * @default - none
   */
  readonly headers?: ValueMatch[];
  /**
   * Query parameters.
   * @default - none
   */
  readonly queryParams?: ValueMatch[];
}
