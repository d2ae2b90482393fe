/**
 * Redirect cycles in a configuration: a domain moved to a domain that moves back (A → B → A, A → B → C → A, a
 * domain moved to its own alias), users moved to each other by redirectAddr, and mixes of the two. A client caught
 * in one goes round until its redirect limit (10 for Outlook) and then fails, so an import refuses them, naming the
 * whole cycle. Each walk visits an address or domain once: linear in the number of records.
 */
import type { Problem } from '../errors.js';
import type { DomainSettings, UserRecord } from './schema.js';

type Indexed<T> = { index: number; value: T };

/** Every name a domain answers for (name and aliases) → the domain. */
function owners(domains: readonly Indexed<DomainSettings>[]): Map<string, Indexed<DomainSettings>> {
  const byName = new Map<string, Indexed<DomainSettings>>();
  for (const d of domains) {
    for (const name of [d.value.name, ...d.value.aliases]) if (!byName.has(name)) byName.set(name, d);
  }
  return byName;
}

/** `example.org` or, for an alias, `example.org (an alias of example.com)`. */
function shown(name: string, byName: Map<string, Indexed<DomainSettings>>): string {
  const owner = byName.get(name)?.value.name;
  return owner === undefined || owner === name ? name : `${name} (an alias of ${owner})`;
}

function domainCycles(domains: readonly Indexed<DomainSettings>[], byName: Map<string, Indexed<DomainSettings>>) {
  const problems: Problem[] = [];
  const state = new Map<number, 'open' | 'done'>();
  for (const start of domains) {
    const path: Indexed<DomainSettings>[] = [];
    let at: Indexed<DomainSettings> | undefined = start;
    while (at && !state.has(at.index)) {
      state.set(at.index, 'open');
      path.push(at);
      const redirect: DomainSettings['redirect'] = at.value.redirect;
      at = redirect && 'domain' in redirect ? byName.get(redirect.domain) : undefined;
    }
    if (at && state.get(at.index) === 'open') {
      // The cycle is the part of this walk from `at` on; it is reported once, at its first record in the file.
      const cycle = path.slice(path.indexOf(at));
      const first = cycle.reduce((a, b) => (b.index < a.index ? b : a));
      const from = cycle.indexOf(first);
      const ordered = [...cycle.slice(from), ...cycle.slice(0, from)];
      const names = [first.value.name];
      for (const d of ordered) {
        const target = d.value.redirect && 'domain' in d.value.redirect ? d.value.redirect.domain : '';
        names.push(shown(target, byName));
      }
      problems.push({
        path: `domains[${first.index}].redirect.domain`,
        message: `${names.join(' → ')} is a redirect cycle`,
      });
    }
    for (const d of path) state.set(d.index, 'done');
  }
  return problems;
}

function userCycles(users: readonly Indexed<UserRecord>[], byName: Map<string, Indexed<DomainSettings>>) {
  const problems: Problem[] = [];
  const rows = new Map<string, Indexed<UserRecord>>();
  for (const u of users) if (!rows.has(u.value.email)) rows.set(u.value.email, u);
  /** Where an address is sent, as the server decides it (resolveAnswer), and whether a user row sent it. */
  const next = (address: string): { to: string; row?: Indexed<UserRecord> } | undefined => {
    const row = rows.get(address);
    if (row?.value.redirectAddr) return { to: row.value.redirectAddr, row };
    if (row?.value.redirectUrl) return undefined;
    const at = address.lastIndexOf('@');
    const redirect = byName.get(address.slice(at + 1))?.value.redirect;
    return redirect && 'domain' in redirect ? { to: `${address.slice(0, at)}@${redirect.domain}` } : undefined;
  };
  const state = new Map<string, 'open' | 'done'>();
  for (const start of users) {
    if (!start.value.redirectAddr) continue;
    const path: { address: string; row?: Indexed<UserRecord> }[] = [];
    let address: string | undefined = start.value.email;
    while (address !== undefined && !state.has(address)) {
      state.set(address, 'open');
      const step = next(address);
      path.push({ address, ...(step?.row ? { row: step.row } : {}) });
      address = step?.to;
    }
    if (address !== undefined && state.get(address) === 'open') {
      const cycle = path.slice(path.findIndex((p) => p.address === address));
      const rowsInCycle = cycle.flatMap((p) => (p.row ? [p.row] : []));
      // A cycle of domain moves alone is reported at the domains; this one goes through a user's redirectAddr.
      if (rowsInCycle.length > 0) {
        const first = rowsInCycle.reduce((a, b) => (b.index < a.index ? b : a));
        const from = cycle.findIndex((p) => p.row === first);
        const ordered = [...cycle.slice(from), ...cycle.slice(0, from)].map((p) => p.address);
        problems.push({
          path: `users[${first.index}].redirectAddr`,
          message: `${[...ordered, first.value.email].join(' → ')} is a redirect cycle`,
        });
      }
    }
    for (const p of path) state.set(p.address, 'done');
  }
  return problems;
}

/** Every redirect cycle, each once, at the first record of the cycle in the file. */
export function redirectCycles(
  domains: readonly Indexed<DomainSettings>[],
  users: readonly Indexed<UserRecord>[],
): Problem[] {
  const byName = owners(domains);
  return [...domainCycles(domains, byName), ...userCycles(users, byName)];
}
