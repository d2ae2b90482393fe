/**
 * Compiled answers: a format's renderer run once per domain with marker characters in place of the per-user
 * values, cut at the markers, then filled per request with that user's values (escaped as the renderer escapes
 * them). The renderer stays the one definition of the format; this only avoids re-running it for the parts that
 * are the same for every user of a domain (docs: README "Sizing"; issue 12).
 *
 * Why the result is the renderer's, byte for byte (test/formats/template.test.ts checks it on random users):
 * - the renderers treat the per-user values as opaque text: they test only whether each is present (truthy), so
 *   the user's "shape" (which values are present) picks the template, and the values themselves only fill it;
 * - escapeXml works character by character, so escaping the pieces and joining them equals escaping the whole;
 * - a domain whose settings contain a marker character is never compiled (the caller renders it directly).
 */
import { type Answer, resolveAnswer, splitAddress } from '../settings/resolve.js';
import type { DomainSettings, UserRecord } from '../settings/schema.js';
import { escapeXml } from './xml.js';

/** The per-user values, in slot order. */
const SLOTS = ['local', 'emailDomain', 'displayName', 'legacyDN', 'loginName', 'mailboxServer', 'mailboxId'] as const;
/** Private-use characters (U+E000…): escapeXml keeps them, and real settings have no reason to hold them. */
const FIRST_MARKER = 0xe000;
const marker = (slot: number) => String.fromCharCode(FIRST_MARKER + slot);
const MARKERS = /[\uE000-\uE006]/;

/** Which per-user values are present, as the renderers test them (truthiness), plus whether a row exists. */
export function userShape(user: UserRecord | undefined): number {
  if (!user) return 0;
  return (
    1 |
    (user.displayName ? 2 : 0) |
    (user.legacyDN ? 4 : 0) |
    (user.loginName ? 8 : 0) |
    (user.mailboxServer ? 16 : 0) |
    (user.mailboxId ? 32 : 0)
  );
}

/** A user of `shape` whose values are the markers, and the marker address `<local>@<domain>`. */
function markedInput(shape: number): { email: string; user: UserRecord | undefined } {
  const email = `${marker(0)}@${marker(1)}`;
  if (!(shape & 1)) return { email, user: undefined };
  const user: UserRecord = { email };
  if (shape & 2) user.displayName = marker(2);
  if (shape & 4) user.legacyDN = marker(3);
  if (shape & 8) user.loginName = marker(4);
  if (shape & 16) user.mailboxServer = marker(5);
  if (shape & 32) user.mailboxId = marker(6);
  return { email, user };
}

export interface SpliceTemplate {
  /** Fixed text between the slots: one more than `slots`. */
  readonly parts: readonly string[];
  /** Index (in SLOTS order) of the value that goes after parts[i]. */
  readonly slots: readonly number[];
}

/**
 * The template of `render`'s answer for the users of `domain` that have `shape`; undefined when the answer would
 * not be settings for such a user, or when the domain's own settings contain a marker character.
 */
export function compileAnswer(
  domain: DomainSettings,
  shape: number,
  render: (answer: Extract<Answer, { kind: 'settings' }>) => string,
): SpliceTemplate | undefined {
  if (MARKERS.test(JSON.stringify(domain))) return undefined;
  const { email, user } = markedInput(shape);
  const answer = resolveAnswer(domain, user, email);
  if (answer.kind !== 'settings') return undefined;
  const text = render(answer);
  const parts: string[] = [];
  const slots: number[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const slot = text.charCodeAt(i) - FIRST_MARKER;
    if (slot < 0 || slot >= SLOTS.length) continue;
    parts.push(text.slice(start, i));
    slots.push(slot);
    start = i + 1;
  }
  parts.push(text.slice(start));
  return { parts, slots };
}

/** The per-user values in slot order, escaped for XML; '' where the user has none (its slot is not in the template). */
export function xmlValues(email: string, user: UserRecord | undefined): string[] {
  const { local, domain } = splitAddress(email);
  return [
    escapeXml(local),
    escapeXml(domain),
    escapeXml(user?.displayName ?? ''),
    escapeXml(user?.legacyDN ?? ''),
    escapeXml(user?.loginName ?? ''),
    escapeXml(user?.mailboxServer ?? ''),
    escapeXml(user?.mailboxId ?? ''),
  ];
}

export function fillTemplate(template: SpliceTemplate, values: readonly string[]): string {
  const { parts, slots } = template;
  let out = parts[0] ?? '';
  for (let i = 0; i < slots.length; i++) out += (values[slots[i] ?? 0] ?? '') + (parts[i + 1] ?? '');
  return out;
}
