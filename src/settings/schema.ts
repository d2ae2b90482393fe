/**
 * The settings model: one vocabulary for the server (what to answer), the client (what was answered) and the
 * diagnosis (what should have been answered). The YAML configuration file is this schema; the JSON schema in
 * schemas/config.schema.json is generated from it (`npm run schema`), so the two cannot drift.
 */
import { domainToASCII } from 'node:url';
import { z } from 'zod';

/** A DNS host name, stored in its ASCII (A-label) form. */
export const hostName = z
  .string()
  .min(1)
  .max(253)
  .transform((value, ctx) => {
    const ascii = domainToASCII(value.trim().replace(/\.$/, '')).toLowerCase();
    const ok = ascii !== '' && ascii.split('.').every((label) => /^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(label));
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid host name (expected e.g. mail.example.com)` });
      return z.NEVER;
    }
    return ascii;
  });

/** An absolute http(s) URL. Autodiscover hands these to clients, so they must be complete. */
function isUrl(value: string, schemes: readonly string[]): boolean {
  try {
    const u = new URL(value);
    return schemes.includes(u.protocol) && u.hostname !== '';
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

export const emailAddress = z
  .string()
  .max(320)
  .transform((value, ctx) => {
    const at = value.lastIndexOf('@');
    const local = value.slice(0, at);
    const domain = domainToASCII(value.slice(at + 1)).toLowerCase();
    if (at < 1 || domain === '' || !domain.includes('.') || /[\s<>"]/.test(local)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an e-mail address (expected local@domain.tld)` });
      return z.NEVER;
    }
    return `${local.toLowerCase()}@${domain}`;
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
    .regex(/^(msstd:[^\s]+|none)$/, 'expected msstd:<name on the certificate> or none')
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
