/** Rules over what servers answered: Autodiscover errors and 401s everywhere. */
import { type Draft, indexed, type Rule } from '../finding.js';

const MEANINGS: Record<string, { meaning: string; fix: string }> = {
  '500': {
    meaning:
      'The server does not know this address: it is not a mailbox there, or the server answers for another set of domains.',
    fix: 'Check that the address exists on that server (or is an accepted domain there), or point the Autodiscover name of this domain at the server that holds the mailbox.',
  },
  '600': {
    meaning: 'The server did not accept the request as a valid Autodiscover request.',
    fix: 'Check that the server is an Autodiscover service and accepts POX requests.',
  },
  InvalidUser: {
    meaning:
      'The server does not know this address (SOAP ErrorCode InvalidUser): it is not a mailbox there, or the server answers for another set of domains.',
    fix: 'Check that the address exists on that server (or is an accepted domain there), or point the Autodiscover names of this domain at the server that holds the mailbox.',
  },
  InvalidRequest: {
    meaning: 'The server refused the GetUserSettings request as a whole (SOAP ErrorCode InvalidRequest).',
    fix: 'Check that the server speaks SOAP Autodiscover (MS-OXWSADISC) for Exchange 2010 and later request versions.',
  },
  '601': {
    meaning: 'The server does not offer the requested kind of settings (response schema), for example no ActiveSync.',
    fix: 'Enable the service (e.g. ActiveSync) for this domain on the server, or use the client it does serve.',
  },
};

export const errorResponseRule: Rule = ({ report }) =>
  indexed(report)
    // An answer without the settings the client needs is EWS_URL_MISSING (rules/soap.ts), not a server error.
    .filter(({ step }) => step.result === 'error-response' && step.missingSettings === undefined)
    .map(({ step, index }) => {
      const code = step.soap?.errorCode ?? /error (\d+)/i.exec(step.detail)?.[1] ?? '?';
      const message = (
        step.soap
          ? (/ErrorCode \w+(?: for the user)? \((.*?)\)[:.]/.exec(step.detail)?.[1] ?? '')
          : (/error \d+: (.*?)(?: The client (?:stops here|tries the next URL)\.)?$/i.exec(step.detail)?.[1] ?? '')
      ).replace(/\.$/, '');
      const m = MEANINGS[code] ?? {
        meaning: 'The server reported a problem of its own.',
        fix: 'Read the server’s logs for this request.',
      };
      return {
        code: 'AUTODISCOVER_ERROR' as const,
        steps: [index],
        vars: { host: step.host, url: step.url, code, message, ...m },
      };
    });

export const unauthorizedRule: Rule = ({ report }) => {
  const answered = indexed(report).filter(({ step }) => step.status !== null);
  const denied = answered.filter(({ step }) => step.status === 401);
  if (denied.length === 0 || denied.length !== answered.length) return [];
  const schemes = [...new Set(denied.flatMap(({ step }) => step.authSchemes ?? []))];
  const sent = denied.some(({ step }) => step.credentialsSent);
  const draft: Draft = {
    code: 'AUTH_REJECTED_EVERYWHERE',
    steps: denied.map((d) => d.index),
    vars: {
      urls: denied.map(({ step }) => step.url).join(', '),
      schemes: schemes.join(', ') || 'no scheme named',
      credentialNote: sent
        ? ': the credentials given were refused'
        : ': no credentials were given (use --user and --password-env)',
    },
  };
  return [draft];
};
