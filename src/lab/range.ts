/**
 * The lab's address range and its layout: a /24 or larger inside 127.0.0.0/8, with fixed offsets for the directory,
 * the DNS server and the hosts (see lab.ts).
 */
import { AutodiscoError } from '../errors.js';

/** Offsets from the range's network address. */
export const LAB_LAYOUT = { ldap: 10, dns: 53, firstHost: 100 } as const;
export const DEFAULT_LAB_RANGE = '127.20.0.0/24';

export interface LabRange {
  /** Normalised CIDR, e.g. '127.20.0.0/24'. */
  cidr: string;
  prefix: number;
  /** Number of addresses in the range. */
  size: number;
  /** The address `offset` above the network address. */
  at(offset: number): string;
}

export function invalidArgument(message: string): AutodiscoError {
  return new AutodiscoError('ADK_ERR_INVALID_ARGUMENT', message);
}

/** Validates a lab range: IPv4 CIDR, a /24 or larger (prefix 8 to 24), inside 127.0.0.0/8, a network address. */
export function parseLabRange(range: string): LabRange {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(range.trim());
  const expected = 'expected a loopback network such as 127.20.0.0/24';
  if (m === null) throw invalidArgument(`lab range "${range}" is not an IPv4 network (${expected})`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw invalidArgument(`lab range "${range}" is not an IPv4 network (${expected})`);
  if (octets[0] !== 127) {
    throw invalidArgument(
      `lab range "${range}" is outside 127.0.0.0/8: the lab listens on loopback only (${expected})`,
    );
  }
  if (prefix < 8 || prefix > 24) {
    throw invalidArgument(`lab range "${range}" must be a /24 or larger inside 127.0.0.0/8 (prefix 8 to 24)`);
  }
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  const toText = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  if (network !== value) {
    throw invalidArgument(`lab range "${range}" is not a network address (did you mean ${toText(network)}/${prefix}?)`);
  }
  return {
    cidr: `${toText(network)}/${prefix}`,
    prefix,
    size,
    at(offset: number) {
      if (offset < 0 || offset >= size) throw invalidArgument(`offset ${offset} is outside ${range}`);
      return toText(network + offset);
    },
  };
}
