import { AutodiscoError } from '../errors.js';

/** Where "now" falls in a certificate's validity window. */
export type Validity = 'valid' | 'expired' | 'not-yet-valid';

export interface ValidityOptions {
  /** Shape of the window relative to `now` (default `'valid'`). `notBefore`/`notAfter` override either edge. */
  validity?: Validity;
  notBefore?: Date;
  notAfter?: Date;
  /** Reference time for `validity` (default: the current time). Lets a test pin dates. */
  now?: Date;
}

const DAY = 86_400_000;

/** X.509 times carry whole seconds: truncating here keeps `notBefore` equal to what a parser reads back. */
function toSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * The validity window for a new certificate. A valid certificate starts a day ago (tolerates clock skew between
 * the factory and a client in another process) and lasts `days`. An expired one ended a day ago; a not-yet-valid
 * one starts in a day. Both are far enough from `now` that a test run never crosses an edge.
 */
export function validityWindow(options: ValidityOptions, days: number): { notBefore: Date; notAfter: Date } {
  const now = (options.now ?? new Date()).getTime();
  let notBefore: number;
  let notAfter: number;
  switch (options.validity ?? 'valid') {
    case 'valid':
      notBefore = now - DAY;
      notAfter = now + days * DAY;
      break;
    case 'expired':
      notBefore = now - (days + 1) * DAY;
      notAfter = now - DAY;
      break;
    case 'not-yet-valid':
      notBefore = now + DAY;
      notAfter = now + (days + 1) * DAY;
      break;
  }
  const window = {
    notBefore: toSecond(options.notBefore ?? new Date(notBefore)),
    notAfter: toSecond(options.notAfter ?? new Date(notAfter)),
  };
  if (window.notBefore.getTime() >= window.notAfter.getTime()) {
    throw new AutodiscoError(
      'ADK_ERR_INVALID_ARGUMENT',
      `notBefore (${window.notBefore.toISOString()}) must be earlier than notAfter (${window.notAfter.toISOString()})`,
    );
  }
  return window;
}
