/**
 * Distinguished names, parsed the forgiving way Active Directory reads them: attribute types and values compare
 * case-insensitively, spaces around `,` `=` `+` are ignored, and escapes (`\,` or `\2C`) are decoded before comparing,
 * so `cn=EX1, CN=Servers` and `CN=ex1,cn=servers` name the same entry. ldapts can only build DNs, not parse them.
 */

/** One `type=value` pair; a multi-valued RDN (`CN=a+OU=b`) has several. Values are unescaped. */
export interface Ava {
  type: string;
  value: string;
}

export type Rdn = readonly Ava[];

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/** Parses a DN string (RFC 4514, plus quoted values and loose spacing). `''` is the root DSE; undefined if malformed. */
export function parseDn(dn: string): Rdn[] | undefined {
  if (dn.trim() === '') return [];
  const rdns: Rdn[] = [];
  let avas: Ava[] = [];
  let i = 0;
  const n = dn.length;
  const skipSpaces = () => {
    while (i < n && dn[i] === ' ') i++;
  };
  for (;;) {
    skipSpaces();
    const typeStart = i;
    while (i < n && dn[i] !== '=' && dn[i] !== ',' && dn[i] !== '+') i++;
    if (dn[i] !== '=') return undefined;
    const type = dn.slice(typeStart, i).trim();
    if (!TYPE.test(type)) return undefined;
    i++;
    skipSpaces();
    const value = readValue();
    if (value === undefined) return undefined;
    avas.push({ type, value });
    if (i >= n) {
      rdns.push(avas);
      return rdns;
    }
    if (dn[i] === ',') {
      rdns.push(avas);
      avas = [];
    }
    i++; // ',' or '+'
  }

  // Reads one value up to an unescaped ',' or '+'; trailing unescaped spaces are dropped, escaped ones kept.
  function readValue(): string | undefined {
    let out = '';
    let bytes: number[] = [];
    let significant = 0; // length of `out` up to the last character that is not an unescaped space
    const flush = () => {
      if (bytes.length === 0) return;
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
      significant = out.length;
    };
    if (dn[i] === '"') {
      i++;
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\') i++;
        if (i < n) out += dn[i];
        i++;
      }
      if (i >= n) return undefined;
      i++;
      skipSpaces();
      return i >= n || dn[i] === ',' || dn[i] === '+' ? out : undefined;
    }
    while (i < n && dn[i] !== ',' && dn[i] !== '+') {
      const ch = dn[i] as string;
      if (ch === '\\') {
        const pair = dn.slice(i + 1, i + 3);
        if (HEX_PAIR.test(pair)) {
          bytes.push(Number.parseInt(pair, 16));
          i += 3;
          continue;
        }
        if (i + 1 >= n) return undefined;
        flush();
        out += dn[i + 1];
        significant = out.length;
        i += 2;
        continue;
      }
      flush();
      out += ch;
      if (ch !== ' ') significant = out.length;
      i++;
    }
    flush();
    return out.slice(0, significant);
  }
}

/** Canonical form of one RDN: lower-cased, AVAs sorted, separators inside values escaped so keys cannot collide. */
function rdnKey(rdn: Rdn): string {
  const quote = (s: string) => s.replace(/[\\,+=]/g, (c) => `\\${c}`);
  return rdn
    .map((a) => `${a.type.toLowerCase()}=${quote(a.value.toLowerCase())}`)
    .sort()
    .join('+');
}

/** A key that is equal for two DNs exactly when AD would consider them the same name. */
export function dnKey(rdns: readonly Rdn[]): string {
  return rdns.map(rdnKey).join(',');
}

/** Key of a DN string, or undefined if it does not parse. */
export function dnKeyOf(dn: string): string | undefined {
  const rdns = parseDn(dn);
  return rdns === undefined ? undefined : dnKey(rdns);
}

export function sameDn(a: string, b: string): boolean {
  const ka = dnKeyOf(a);
  return ka !== undefined && ka === dnKeyOf(b);
}

/** True when `inner` is `outer` itself or lies below it (both already parsed). */
export function isWithin(inner: readonly Rdn[], outer: readonly Rdn[]): boolean {
  if (inner.length < outer.length) return false;
  const offset = inner.length - outer.length;
  for (let k = 0; k < outer.length; k++) {
    if (rdnKey(inner[offset + k] as Rdn) !== rdnKey(outer[k] as Rdn)) return false;
  }
  return true;
}

/** DNS domain spelled by the trailing `DC=` components (`CN=x,DC=contoso,DC=test` → `contoso.test`), or ''. */
export function dnsDomainOf(rdns: readonly Rdn[]): string {
  const labels: string[] = [];
  for (let k = rdns.length - 1; k >= 0; k--) {
    const rdn = rdns[k] as Rdn;
    const only = rdn.length === 1 ? rdn[0] : undefined;
    if (only === undefined || only.type.toLowerCase() !== 'dc') break;
    labels.unshift(only.value);
  }
  return labels.join('.');
}

/** Escapes a value for use inside an RDN string (RFC 4514 §2.4). */
export function escapeRdnValue(value: string): string {
  const chars = [...value].map((c) => (/[\\,+"<>;]/.test(c) ? `\\${c}` : c));
  const first = chars[0];
  if (first === ' ' || first === '#') chars[0] = `\\${first}`;
  const last = chars.length - 1;
  if (last > 0 && chars[last] === ' ') chars[last] = '\\ ';
  return chars.join('');
}
