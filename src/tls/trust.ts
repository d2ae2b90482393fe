/**
 * Secure contexts for a trust store, built once per set of extra roots. Building one from Node's 144 bundled roots
 * costs tens of milliseconds of CPU; doing it per connection stalled the event loop during concurrent probes.
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

const cache = new Map<string, SecureContext>();

/** The bundled roots plus `extra` (PEM), never instead of them. `[]` with `bundled: false` trusts nothing. */
export function trustContext(extra: readonly string[] = [], options: { bundled?: boolean } = {}): SecureContext {
  const bundled = options.bundled ?? true;
  const key = `${bundled ? 'b' : 'n'}\u0000${extra.join('\u0000')}`;
  let context = cache.get(key);
  if (!context) {
    context = createSecureContext({ ca: bundled ? [...rootCertificates, ...extra] : [...extra] });
    // A small, bounded cache: a process rarely sees more than a few distinct --ca sets.
    if (cache.size >= 16) cache.clear();
    cache.set(key, context);
  }
  return context;
}
