/**
 * The fleet's certificates, chosen by the SNI name alone and made on first use: 10,000 domains need up to
 * 10,000 certificates, and making them all before listening would take minutes and hold them all in memory. Each
 * is issued under the lab's intermediate (one PKI per fleet), and its TLS context is kept in a bounded cache
 * (least recently used out): a name asked for again after eviction gets a fresh certificate for the same names.
 */

import type { SecureContext } from 'node:tls';
import { setNewest } from '../../bounded-map.js';
import { issueFor, type LabPki } from '../certificates.js';
import type { CertificateSpec } from '../scenario.js';
import { domainOf } from './plan.js';

/** Names on the shared web host's default certificate: what every name without its own certificate gets. */
export const WEBHOST_DEFAULT = ['*.webhost.test'];
export const HOSTER_NAMES = ['autodiscover.hoster.test', 'mail.hoster.test'];
export const PROVIDER_NAMES = ['mail.provider.test'];
export const OWN_SERVER = new Set([
  'healthy',
  'root-trap',
  'root-no-tls',
  'expired',
  'wildcard-dns',
  'plain-http-autoconfig',
  'dangling-host',
  'expiring',
]);

export interface CertificateChoice {
  names: string[];
  validity: CertificateSpec['validity'];
}

/** The certificate the fleet serves for an SNI name (null: no SNI). */
export function certificateFor(servername: string | null): CertificateChoice {
  const name = servername?.toLowerCase().replace(/\.$/, '') ?? '';
  if (HOSTER_NAMES.includes(name)) return { names: HOSTER_NAMES, validity: 'valid' };
  if (PROVIDER_NAMES.includes(name)) return { names: PROVIDER_NAMES, validity: 'valid' };
  const info = domainOf(name);
  if (info === undefined) return { names: WEBHOST_DEFAULT, validity: 'valid' };
  const { domain, category, label } = info;
  const website = label === '' || label === 'www';
  if (website && (category === 'healthy' || category === 'wildcard-dns'))
    return { names: [domain, `www.${domain}`], validity: 'valid' };
  // The trap: the website's certificate names www.<domain> only.
  if (website && category === 'root-trap') return { names: [`www.${domain}`], validity: 'valid' };
  const ownName = label === 'mail' || (label === 'autodiscover' && category !== 'wildcard-dns');
  if (ownName && OWN_SERVER.has(category)) {
    return {
      names: [`autodiscover.${domain}`, `mail.${domain}`],
      validity: category === 'expired' ? 'expired' : category === 'expiring' ? 'expiring' : 'valid',
    };
  }
  // Everything else (a wildcard record's names, say) meets the shared web host's default certificate.
  return { names: WEBHOST_DEFAULT, validity: 'valid' };
}

/** One certificate per set of names and validity: the SNI names that share it share its context. */
function keyOf(choice: CertificateChoice): string {
  return `${choice.validity} ${choice.names.join(',')}`;
}

export class FleetCertificates {
  readonly #pki: LabPki;
  readonly #now: Date | undefined;
  #max: number;
  readonly #cache = new Map<string, Promise<SecureContext>>();
  /** Certificates issued so far (evictions make this exceed the number of distinct names). */
  issued = 0;

  constructor(pki: LabPki, now: Date | undefined, max = 4096) {
    this.#pki = pki;
    this.#now = now;
    this.#max = max;
  }

  get cached(): number {
    return this.#cache.size;
  }

  /**
   * Makes, now, the certificate of every name a client of these domains can ask for (their website, Autodiscover,
   * mail and autoconfig names, the providers' and the shared web host's), `parallel` at a time, and keeps them all
   * (the cache grows to hold them): no handshake then waits for a certificate to be made, as with real servers.
   */
  async issueAll(domains: readonly string[], parallel = 16): Promise<void> {
    const names: (string | null)[] = [null, ...HOSTER_NAMES, ...PROVIDER_NAMES];
    for (const d of domains) names.push(d, `www.${d}`, `autodiscover.${d}`, `mail.${d}`, `autoconfig.${d}`);
    const byKey = new Map<string, string | null>();
    for (const name of names) byKey.set(keyOf(certificateFor(name)), name);
    this.#max = Math.max(this.#max, byKey.size + 16);
    const todo = [...byKey.values()];
    let next = 0;
    const worker = async () => {
      while (next < todo.length) await this.context(todo[next++] ?? null);
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  context(servername: string | null): Promise<SecureContext> {
    const choice = certificateFor(servername);
    const key = keyOf(choice);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const spec: CertificateSpec = {
      names: choice.names,
      issuer: 'lab',
      via: 'intermediate',
      sendIntermediate: true,
      validity: choice.validity,
      keyType: 'ecdsa',
    };
    const made = issueFor(spec, this.#pki, this.#now).then((served) => served.context);
    this.issued++;
    // A failed issue must not stay cached.
    made.catch(() => this.#cache.delete(key));
    setNewest(this.#cache, key, made, this.#max);
    return made;
  }
}
