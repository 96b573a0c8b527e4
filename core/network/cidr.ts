/**
 * IPv4 addresses and CIDR ranges, as ACR IP rules (`iPAddressOrRange`) and Azure egress IPs write
 * them. ACR network rules accept IPv4 only.
 */
export interface Cidr {
  /** The network address as a 32-bit unsigned number. */
  base: number;
  prefix: number;
  raw: string;
}

export function parseIpv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith("0"))) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Parses `a.b.c.d` (a /32) or `a.b.c.d/n`; undefined when it is neither. */
export function parseCidr(raw: string): Cidr | undefined {
  if (typeof raw !== "string") return undefined;
  const [addr, len, extra] = raw.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIpv4(addr);
  if (ip === undefined) return undefined;
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= 32)) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: ip - (ip % size), prefix, raw };
}

/** Whether `inner` (an address or a range) lies wholly inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (inner.prefix < outer.prefix) return false;
  const size = 2 ** (32 - outer.prefix);
  return inner.base - (inner.base % size) === outer.base;
}

/** The addresses or ranges in `ips` that no range in `ranges` contains (unparsable ones are skipped), as written. */
export function notCovered(ips: readonly string[], ranges: readonly string[]): string[] {
  const within = ranges.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  return ips.filter((ip) => {
    const c = parseCidr(ip);
    return c !== undefined && !within.some((r) => cidrContains(r, c));
  });
}

export function addressCount(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}
