/**
 * IP addresses and CIDR ranges as Istio reads them in `ipBlocks`, `notIpBlocks`, `remoteIpBlocks`,
 * `source.ip` and `destination.ip`: a bare address is a full-length prefix (/32 or /128), IPv4 and
 * IPv6 never contain each other, and an unparsable entry is skipped (istiod `stringToIP`; ztunnel
 * `IpNet::contains`, Istio 1.30.3).
 */

/** A parsed address: its family and its value as a big integer. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/** A parsed CIDR range. */
export interface IpRange {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256n + BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) is rewritten as its two hex groups.
  let t = text;
  if (t.includes('.')) {
    const lastColon = t.lastIndexOf(':');
    const v4 = parseIpv4(t.slice(lastColon + 1));
    if (v4 === undefined || lastColon < 0) return undefined;
    t = `${t.slice(0, lastColon + 1)}${(v4 / 65536n).toString(16)}:${(v4 % 65536n).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = groupsOf(halves[0]);
  const right = halves.length === 2 ? groupsOf(halves[1]) : [];
  const explicit = left.length + right.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const groups = [...left, ...(halves.length === 2 ? Array<string>(8 - explicit).fill('0') : []), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = value * 65536n + BigInt(parseInt(g, 16));
  }
  return value;
}

/** Parses an IPv4 or IPv6 address; undefined if it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const v = parseIpv6(t);
    return v === undefined ? undefined : { version: 6, value: v };
  }
  const v = parseIpv4(t);
  return v === undefined ? undefined : { version: 4, value: v };
}

/** The value with its low `hostBits` bits cleared (the network part of an address). */
function truncate(value: bigint, hostBits: number): bigint {
  const size = 2n ** BigInt(hostBits);
  return (value / size) * size;
}

/** Parses `addr/len` or a bare address (a full-length prefix); undefined if invalid, as istiod skips it. */
export function parseCidr(text: string): IpRange | undefined {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.version === 4 ? 32 : 128;
  let prefix = max;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len) || Number(len) > max) return undefined;
    prefix = Number(len);
  }
  return { version: ip.version, network: truncate(ip.value, max - prefix), prefix };
}

/** Does a range contain an address? Different families never match. */
export function rangeContains(range: IpRange, ip: IpAddress): boolean {
  if (range.version !== ip.version) return false;
  return truncate(ip.value, (range.version === 4 ? 32 : 128) - range.prefix) === range.network;
}

/** Does any of the CIDR strings contain the address? Invalid entries are skipped. */
export function cidrsContain(cidrs: readonly string[], address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  return cidrs.some(c => {
    const range = parseCidr(c);
    return range !== undefined && rangeContains(range, ip);
  });
}

/**
 * Do the CIDR strings contain every address of both families (`0.0.0.0/0` and `::/0`)? Then a
 * rule over them matches whatever the client's address, even when it is not known offline.
 */
export function cidrsCoverEveryAddress(cidrs: readonly string[]): boolean {
  const ranges = cidrs.map(parseCidr);
  return [4, 6].every(v => ranges.some(r => r !== undefined && r.version === v && r.prefix === 0));
}

/** The entries istiod would drop as unparsable (reported by explain and the checks). */
export function invalidCidrs(cidrs: readonly string[]): string[] {
  return cidrs.filter(c => c.length > 0 && parseCidr(c) === undefined);
}
