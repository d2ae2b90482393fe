/**
 * The compiled answers of each domain (src/formats/template.ts), kept while the domain's settings object lives:
 * the store hands out one frozen settings object per domain until the settings change, so a change (an import,
 * in this process or another) makes new objects, and their templates are compiled afresh on first use. Nothing
 * per address is kept: every request still reads its user from the store and fills the template with its values.
 */
import { compileAnswer, fillTemplate, type SpliceTemplate, userShape, xmlValues } from '../formats/template.js';
import type { Answer } from '../settings/resolve.js';
import type { DomainSettings } from '../settings/schema.js';
import type { Lookup } from './lookup.js';

type Settings = Extract<Answer, { kind: 'settings' }>;

export class AnswerTemplates {
  readonly #byDomain = new WeakMap<DomainSettings, Map<string, SpliceTemplate | null>>();

  /**
   * `render`'s answer for a lookup whose answer is settings, from the domain's template for `variant` (what else
   * the rendering depends on, e.g. the client's capabilities) and the user's shape; rendered directly when the
   * domain cannot be compiled.
   */
  xml(found: Lookup & { answer: Settings }, variant: string, render: (answer: Settings) => string): string {
    const { domain, user, email } = found;
    if (!domain) return render(found.answer);
    let templates = this.#byDomain.get(domain);
    if (!templates) {
      templates = new Map();
      this.#byDomain.set(domain, templates);
    }
    const shape = userShape(user);
    const key = `${variant}:${shape}`;
    let template = templates.get(key);
    if (template === undefined) {
      template = compileAnswer(domain, shape, render) ?? null;
      templates.set(key, template);
    }
    return template ? fillTemplate(template, xmlValues(email, user)) : render(found.answer);
  }
}
