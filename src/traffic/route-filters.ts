import { Duration } from 'cdk8s';
import { constructError } from '../_validation';
import { RouteBackend } from './route-backend';

/** How a path is rewritten or redirected. */
export class PathModifier {
  /** Replace the whole path. */
  public static replaceFullPath(path: string): PathModifier {
    return new PathModifier('ReplaceFullPath', path, 'PathModifier.replaceFullPath()');
  }

  /** Replace the matched prefix (the rule's matches must all be `PathMatch.prefix`). */
  public static replacePrefix(prefix: string): PathModifier {
    return new PathModifier('ReplacePrefixMatch', prefix, 'PathModifier.replacePrefix()');
  }

  /** @internal */ public readonly _type: string;
  /** @internal */ public readonly _value: string;

  private constructor(type: string, value: string, where: string) {
    // HTTPRoute filters[].requestRedirect.path and urlRewrite.path: replaceFullPath/replacePrefixMatch maxLength 1024.
    if (!value.startsWith('/')) throw constructError(where, `path: "${value}" must start with "/", e.g. "/${value}".`);
    if (value.length > 1024) throw constructError(where, `path: "${value.slice(0, 32)}..." is ${value.length} characters long; the HTTPRoute CRD takes at most 1024.`);
    this._type = type;
    this._value = value;
  }
}

/** An HTTP redirect response. */
export interface HttpRedirect {
  /** @default - unchanged */
  readonly scheme?: string;
  /** @default - unchanged */
  readonly hostname?: string;
  /** @default - unchanged */
  readonly port?: number;
  /** @default - unchanged */
  readonly path?: PathModifier;
  /**
   * 301 or 302.
   * @default 302
   */
  readonly statusCode?: number;
}

/** A rewrite of the request before it is forwarded. */
export interface HttpRewrite {
  /** @default - unchanged */
  readonly hostname?: string;
  /** @default - unchanged */
  readonly path?: PathModifier;
}

/** Header changes. */
export interface HeaderChanges {
  /** Headers set (replacing any value). @default - none */
  readonly set?: { [name: string]: string };
  /** Headers added (appending). @default - none */
  readonly add?: { [name: string]: string };
  /** Headers removed. @default - none */
  readonly remove?: string[];
}

/** A mirror of a rule's requests (Gateway API RequestMirror filter). */
export interface HttpMirror {
  /** Where the copies go. Its weight is not used. */
  readonly backend: RouteBackend;
  /**
   * Share of requests mirrored, 0 to 100.
   * @default 100
   */
  readonly percent?: number;
}

/** CORS settings of a rule (Gateway API CORS filter, standard channel since v1.5). */
export interface HttpCors {
  /**
   * Origins allowed, e.g. "https://shop.example.com", "https://*.example.com", or "*" alone.
   */
  readonly allowOrigins: string[];
  /**
   * Methods allowed (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, or "*" alone).
   * @default - none beyond the simple methods browsers always allow
   */
  readonly allowMethods?: string[];
  /**
   * Request headers allowed (or "*" alone).
   * @default - none
   */
  readonly allowHeaders?: string[];
  /**
   * Response headers the browser may read.
   * @default - none
   */
  readonly exposeHeaders?: string[];
  /**
   * Allow credentials (cookies, Authorization). Refused together with the origin "*".
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * How long browsers cache the preflight answer.
   * @default - Gateway API default (5 seconds)
   */
  readonly maxAge?: Duration;
}
