/**
 * The settings model: one vocabulary for the server (what to answer), the client (what was answered) and the
 * diagnosis (what should have been answered). The YAML configuration file is this schema; the JSON schema in
 * schemas/config.schema.json is generated from it (`npm run schema`), so the two cannot drift.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { z } from 'zod';

/**
 * Characters that end or change a host name inside a URL (`/ ? # \ @ :`, `%`-escapes, brackets, spaces and
 * controls). Node's domainToASCII parses its argument as a URL host and silently drops everything from the first
 * `/ ? # \`, so `mail.example.test/evil` became `mail.example.test`: they are refused before it runs.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NOT_IN_HOST = /[\u0000-\u0020\u007f/?#\\@:%[\]<>^|"'`{}]/u;

const PLAIN_HOST = /^(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*$/;

/** The problem with a host name, or its A-label form. */
export function checkHostName(value: string): { ascii: string } | { problem: string } {
  const bad = NOT_IN_HOST.exec(value.trim());
  if (bad) {
    const shown = /^[\u0021-\u007e]$/.test(bad[0])
      ? `"${bad[0]}"`
      : `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return { problem: `${shown} is not allowed in a host name` };
  }
  const name = value.trim().replace(/\.$/, '');
  // A lower-case LDH name without A-labels, not ending in a number, is its own ASCII form: domainToASCII (which
  // would also read a trailing number as an IPv4 address, or check an xn-- label) has nothing to do for it.
  const ascii = PLAIN_HOST.test(name) && !name.includes('xn--') ? name : domainToASCII(name).toLowerCase();
  const ok =
    ascii !== '' &&
    ascii.length <= 253 &&
    ascii.split('.').every((label) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(label));
  return ok ? { ascii } : { problem: 'it is not a valid host name' };
}

/** A DNS host name, stored in its ASCII (A-label) form. */
export const hostName = z
  .string()
  .min(1)
  .max(253)
  .transform((value, ctx) => {
    const checked = checkHostName(value);
    if ('problem' in checked) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is not a valid host name: ${checked.problem} (expected e.g. mail.example.com)`,
      });
      return z.NEVER;
    }
    return checked.ascii;
  });

/**
 * An absolute http(s) URL. Autodiscover hands these to clients as written, so they must be complete and mean the
 * same to every URL parser: no backslash (WHATWG reads it as `/`, others do not), no spaces or controls, no
 * `user@` before the host (`https://mail.example.com@evil.example/`), and a real host name.
 */
function isUrl(value: string, schemes: readonly string[]): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u0020\u007f\\]/.test(value)) return false;
  try {
    const u = new URL(value);
    if (!schemes.includes(u.protocol) || u.hostname === '' || u.username !== '' || u.password !== '') return false;
    const authority = value.slice(u.protocol.length + 2).split(/[/?#]/, 1)[0] ?? '';
    if (authority.includes('@')) return false;
    return isIP(u.hostname.replace(/^\[|\]$/g, '')) !== 0 || 'ascii' in checkHostName(u.hostname);
  } catch {
    return false;
  }
}

export const serviceUrl = z
  .string()
  .refine((value) => isUrl(value, ['https:', 'http:']), { message: 'expected an absolute https:// URL' });

export const httpsUrl = z.string().refine((value) => isUrl(value, ['https:']), {
  message: 'expected an absolute https:// URL (clients refuse to follow http:// for this)',
});

/** `local@domain` → lower case with an A-label domain; the problem otherwise (the domain as checkHostName says). */
export function checkEmailAddress(value: string): { email: string } | { problem: string } {
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (at < 1 || /[\u0000-\u0020\u007f<>"\\]/.test(local)) return { problem: 'expected local@domain.tld' };
  const domain = checkHostName(value.slice(at + 1));
  if ('problem' in domain) return { problem: `its domain: ${domain.problem}` };
  if (!domain.ascii.includes('.')) return { problem: 'expected local@domain.tld' };
  return { email: `${local.toLowerCase()}@${domain.ascii}` };
}

export const emailAddress = z
  .string()
  .max(320)
  .transform((value, ctx) => {
    const checked = checkEmailAddress(value);
    if ('problem' in checked) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is not an e-mail address (${checked.problem})`,
      });
      return z.NEVER;
    }
    return checked.email;
  });

export const security = z.enum(['tls', 'starttls', 'none']);
export type Security = z.infer<typeof security>;

/** Authentication methods, named as Thunderbird's autoconfig names them (the richest common vocabulary). */
export const authentication = z.enum([
  'password-cleartext',
  'password-encrypted',
  'ntlm',
  'gssapi',
  'oauth2',
  'client-ip-address',
  'none',
]);
export type Authentication = z.infer<typeof authentication>;

const mailServer = z.strictObject({
  host: hostName,
  /** Defaults from the protocol and `security`: IMAP 993/143, POP3 995/110, SMTP 465/587. */
  port: z.number().int().min(1).max(65535).optional(),
  security: security.default('tls'),
  authentication: authentication.default('password-cleartext'),
  /** Login name sent by the client. Placeholders: %EMAILADDRESS% %EMAILLOCALPART% %EMAILDOMAIN%. */
  username: z
    .string()
    .min(1)
    .default('%EMAILADDRESS%')
    .refine((v) => !/%(?!EMAILADDRESS%|EMAILLOCALPART%|EMAILDOMAIN%)[A-Z]+%/.test(v), {
      message: 'unknown placeholder (expected %EMAILADDRESS%, %EMAILLOCALPART% or %EMAILDOMAIN%)',
    }),
});
export type MailServer = z.infer<typeof mailServer>;

/** A service reachable under separate internal and external URLs (Exchange's InternalUrl / ExternalUrl). */
const internalExternal = z
  .strictObject({ internal: serviceUrl.optional(), external: serviceUrl.optional() })
  .refine((v) => v.internal !== undefined || v.external !== undefined, {
    message: 'give at least one of internal or external',
  });
export type InternalExternal = z.infer<typeof internalExternal>;

export const authPackage = z.enum(['basic', 'kerb', 'kerbntlm', 'ntlm', 'certificate', 'negotiate', 'nego2']);

const outlookAnywhere = z.strictObject({
  internalHost: hostName.optional(),
  externalHost: hostName,
  internalAuth: authPackage.default('ntlm'),
  externalAuth: authPackage.default('ntlm'),
  ssl: z.boolean().default(true),
  /** `msstd:<name on the certificate>`; defaults to `msstd:<externalHost>`. For a wildcard certificate use `msstd:*.example.com`. */
  certPrincipalName: z
    .string()
    // A name, or a wildcard name, and nothing after it: Outlook compares it with the certificate as written.
    .regex(
      /^(msstd:(\*\.)?(?!-)[a-zA-Z0-9-]{1,63}(\.(?!-)[a-zA-Z0-9-]{1,63})+|none)$/,
      'expected msstd:<name on the certificate> (e.g. msstd:mail.example.com or msstd:*.example.com) or none',
    )
    .optional(),
});

export const exchange = z.strictObject({
  /** EXCH `Server`: the mailbox server (Exchange 2013+ uses `<mailbox GUID>@<domain>`, set per user as mailboxId). */
  server: hostName,
  serverDN: z.string().optional(),
  /** Exchange build, e.g. 15.1.2507; rendered as the hex ServerVersion. */
  serverVersion: z
    .string()
    .regex(/^\d{1,2}\.\d{1,2}\.\d{1,5}$/, 'expected major.minor.build, e.g. 15.1.2507')
    .optional(),
  authPackage: authPackage.default('ntlm'),
  deploymentId: z.uuid().optional(),
  ews: internalExternal.optional(),
  oab: internalExternal.optional(),
  ecp: internalExternal.optional(),
  owa: z
    .strictObject({
      internal: serviceUrl.optional(),
      external: serviceUrl.optional(),
      authenticationMethods: z.string().default('Fba'),
    })
    .optional(),
  /** Availability / OOF service (ASUrl, OOFUrl); defaults to the EWS URLs. */
  availability: internalExternal.optional(),
  outlookAnywhere: outlookAnywhere.optional(),
  /** MAPI over HTTP base URLs (e.g. https://mail.example.com/mapi); sent only to clients that send X-MapiHttpCapability. */
  mapiHttp: internalExternal.optional(),
});
export type ExchangeSettings = z.infer<typeof exchange>;

const domainRedirect = z.union([
  z.strictObject({ domain: hostName }).describe('every address moves to the same local part at this domain'),
  z.strictObject({ url: httpsUrl }).describe('another Autodiscover server answers for this domain'),
]);

export const domain = z.strictObject({
  name: hostName,
  displayName: z.string().min(1).optional(),
  shortName: z.string().min(1).optional(),
  aliases: z.array(hostName).default([]),
  /** Hours the client may keep the answer (POX TTL). */
  ttl: z.number().int().min(0).max(168).default(1),
  imap: mailServer.optional(),
  pop3: mailServer.optional(),
  smtp: mailServer.optional(),
  activeSync: z.strictObject({ url: httpsUrl }).optional(),
  exchange: exchange.optional(),
  /** Host that answers Autodiscover for this domain; used in v2 AutodiscoverV1 answers. Default autodiscover.<name>. */
  autodiscoverHost: hostName.optional(),
  /** A whole domain moved (a new primary SMTP domain, or a hybrid/migration target). */
  redirect: domainRedirect.optional(),
  /** What an unknown address in this domain gets: the domain's answer (no user enumeration) or "not found" (ErrorCode 500). */
  unknownUsers: z.enum(['domain', 'not-found']).default('domain'),
  documentationUrl: serviceUrl.optional(),
  mobileconfig: z
    .strictObject({
      organization: z.string().optional(),
      /** Also add an Exchange ActiveSync account payload (off: Apple Mail gets IMAP/SMTP only). */
      activeSync: z.boolean().default(false),
    })
    .optional(),
});
export type DomainSettings = z.infer<typeof domain>;

export const user = z
  .strictObject({
    email: emailAddress,
    displayName: z.string().min(1).optional(),
    /** Login name when it is not derived from the address by the domain's username pattern. */
    loginName: z.string().min(1).optional(),
    /** A mailbox server other than the domain's (IMAP/POP3 host, and Exchange Server). */
    mailboxServer: hostName.optional(),
    legacyDN: z.string().min(1).optional(),
    /** Exchange mailbox GUID: EXCH Server becomes <mailboxId>@<domain> and MAPI/HTTP URLs carry it. */
    mailboxId: z.uuid().optional(),
    /** The user moved to another address (Action=redirectAddr). */
    redirectAddr: emailAddress.optional(),
    /** Another Autodiscover server answers for this user (Action=redirectUrl). */
    redirectUrl: httpsUrl.optional(),
  })
  .refine((u) => !(u.redirectAddr && u.redirectUrl), {
    message: 'give redirectAddr or redirectUrl, not both',
    path: ['redirectUrl'],
  })
  .refine((u) => u.redirectAddr !== u.email, {
    message: 'redirectAddr is the same address (a loop)',
    path: ['redirectAddr'],
  });
export type UserRecord = z.infer<typeof user>;

export const configFile = z.strictObject({
  $schema: z.string().optional(),
  domains: z.array(domain).default([]),
  users: z.array(user).default([]),
});
export type Config = z.infer<typeof configFile>;
/** What a person writes (before defaults are applied). */
export type ConfigInput = z.input<typeof configFile>;
