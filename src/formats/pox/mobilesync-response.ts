/** The ActiveSync answer (mobilesync/responseschema/2006, MS-ASCMD §2.2.1.1). */
import type { ResolvedSettings } from '../../settings/resolve.js';
import { el, textEl, type XmlNode, xmlDocument } from '../xml.js';
import { NS } from './namespaces.js';

function wrap(...children: (XmlNode | undefined)[]): string {
  return xmlDocument(
    el('Autodiscover', { xmlns: NS.response }, el('Response', { xmlns: NS.mobilesyncResponse }, ...children)),
  );
}

/** Settings with a MobileSync server. The caller checks that the domain has an ActiveSync URL. */
export function renderMobilesyncSettings(settings: ResolvedSettings & { activeSyncUrl: string }): string {
  return wrap(
    textEl('Culture', 'en:us'),
    el('User', {}, textEl('DisplayName', settings.displayName), textEl('EMailAddress', settings.email)),
    el(
      'Action',
      {},
      el(
        'Settings',
        {},
        el(
          'Server',
          {},
          textEl('Type', 'MobileSync'),
          textEl('Url', settings.activeSyncUrl),
          textEl('Name', settings.activeSyncUrl),
        ),
      ),
    ),
  );
}

/** The user's mailbox is known under another address: the device restarts with that address's domain. */
export function renderMobilesyncRedirect(address: string): string {
  return wrap(textEl('Culture', 'en:us'), el('Action', {}, textEl('Redirect', address)));
}
