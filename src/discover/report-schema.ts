/**
 * The one definition of the discovery report (`autodisco discover --json`, docs/discover-contract.md): the
 * TypeScript types in report.ts are inferred from it, and schemas/discovery-report.schema.json (and the
 * `--client all --json` wrapper's schemas/discovery-comparison.schema.json) are generated from it by
 * `npm run generate`. Fields may be added (optional, with a description); none the contract lists may be renamed,
 * removed or change meaning. Objects are open in the published schema (a consumer must accept fields added later).
 *
 * To add a field: add it here, optional, with `.describe()`; run `npm run generate`. To add a value to an enum
 * (a step method or result): add it to the list and to its description.
 */
import { z } from 'zod';

export const REPORT_SCHEMA_ID = 'autodisco.discovery/1';
export const COMPARISON_SCHEMA_ID = 'autodisco.discovery-comparison/1';

/** In the published schema, `published` replaces what zod would generate (see publishedSchema). */
const PROFILE_PUBLISHED = {
  type: 'string',
  pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
  examples: ['outlook', 'outlook-2013', 'activesync', 'thunderbird', 'ews'],
};

export const profileName = z.enum(['outlook', 'outlook-2013', 'activesync', 'thunderbird', 'ews']).meta({
  description:
    'The profile used: whose lookup was reproduced. `outlook` (Outlook 2016 and later, Microsoft 365 Apps), `outlook-2013` (Outlook 2007, 2010 and 2013), `activesync` (Exchange ActiveSync mobilesync schema), `thunderbird` (autoconfig, then Exchange Autodiscover), `ews` (an EWS application: the lookup of the EWS Managed API, SOAP Autodiscover first, then POX). More profiles may be added, so any lower-case profile name is accepted.',
  published: PROFILE_PUBLISHED,
});

export const stepMethod = z
  .enum([
    'scp',
    'root-domain',
    'autodiscover-domain',
    'http-redirect',
    'srv',
    'redirect',
    'autoconfig',
    'autoconfig-mx',
    'json-v2',
  ])
  .meta({
    id: 'method',
    description:
      'The step: `scp` (an SCP URL found in the directory, or the directory search itself, without `url`), `root-domain` (https://<domain>/autodiscover/autodiscover.xml), `autodiscover-domain` (https://autodiscover.<domain>/autodiscover/autodiscover.xml), `http-redirect` (the unauthenticated GET http://autodiscover.<domain>/autodiscover/autodiscover.xml), `srv` (the _autodiscover._tcp.<domain> lookup, without `url`, and the request to its target, with `url`), `redirect` (a request to a URL that a previous step pointed to: redirectUrl, or an HTTP 3xx Location), `autoconfig` and `json-v2` (Thunderbird autoconfig and Autodiscover v2 JSON requests, for the profiles that make them), `autoconfig-mx` (addition: the autoconfig request Thunderbird makes to the domain of the MX host when the domain itself publishes none; the first such step carries the MX `records`).',
  });

export const stepResult = z
  .enum([
    'settings',
    'redirect-addr',
    'redirect-url',
    'error-response',
    'not-found',
    'dns-error',
    'connect-failed',
    'timeout',
    'tls-error',
    'http-status',
    'invalid-response',
    'prompt',
    'refused',
    'skipped',
    'soap-enabled',
    'no-soap',
  ])
  .meta({
    id: 'result',
    description:
      '`settings`: an Autodiscover response with settings (for SOAP: `NoError` with an EWS URL); `redirect-addr`: Action=redirectAddr, the lookup restarts for `redirectTo`; `redirect-url`: Action=redirectUrl, or an HTTP 3xx, the next step is `redirectTo`; `error-response`: an Autodiscover <Error> response (code in `detail`), or a SOAP answer whose `ErrorCode` is not `NoError`, or an answer without the settings the client needs (see `missingSettings`); `not-found`: the name does not exist, or has no record of the type asked (NXDOMAIN, NODATA: what DNS answered); `dns-error` (addition): DNS could not be asked or gave no answer (timeout, SERVFAIL, REFUSED, no network), so whether the name exists is unknown; `connect-failed`: refused or unreachable; `timeout`: no complete answer within --timeout (a deadline for the whole step), or the --budget of the lookup ran out (`detail` says which); `tls-error`: the handshake failed or the certificate was rejected (see `tls.error`); `http-status`: an HTTP status that is neither 200 nor a usable redirect (see `status`); `invalid-response`: a 200 that is not an Autodiscover response (an HTML page, say); `prompt`: the client would stop here and ask the user (see the top-level `prompt`); `refused`: the client declined to follow it (a redirect to http://, a loop, past the redirect limit, a name that resolves only to 0.0.0.0 or ::); `skipped`: excluded, or not applicable (`detail` says why); `soap-enabled` and `no-soap` (additions, the `ews` profile): the unauthenticated GET of https://<host>/autodiscover/autodiscover.xml by which an EWS application decides whether to post SOAP to that host found an `X-SOAP-Enabled` (or another `X-…-Enabled`) header, so the GetUserSettings POST follows, or found none, so the host is passed by (`soap.enabled`).',
  });

export const outcome = z.enum(['settings', 'prompt', 'failed']).meta({
  description:
    '`settings`: settings were obtained (exit status 0); `prompt`: the lookup stopped at a prompt the user would have to answer (exit status 3); `failed`: no settings (exit status 1).',
});

export const refusal = z
  .enum([
    'insecure-redirect',
    'redirect-loop',
    'redirect-limit',
    'not-autodiscover-path',
    'plain-http-answer',
    'invalid-address',
    'unspecified-address',
  ])
  .describe('Addition: why a `refused` step was refused, as a stable word.');

const dateTime = z
  .string()
  .regex(
    /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$/,
  )
  .meta({
    id: 'dateTime',
    format: 'date-time',
    description: 'An ISO 8601 / RFC 3339 UTC date and time, e.g. 2026-01-01T00:00:00.000Z.',
  });

export const certificateSummary = z
  .object({
    subject: z.string().describe('RFC 4514 name, e.g. CN=www.contoso.test.'),
    dnsNames: z.array(z.string()).describe('dNSName subject alternative names as written (wildcards included).'),
    issuer: z.string().describe('RFC 4514 name, e.g. CN=Contoso Test Root CA.'),
    notBefore: dateTime,
    notAfter: dateTime,
    sha256: z
      .string()
      .regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/)
      .describe('SHA-256 of the DER: 32 upper-case hex pairs separated by colons.'),
    selfSigned: z.boolean(),
  })
  .meta({ id: 'certificate', description: 'A certificate the server sent, captured even when it was rejected.' });

export const stepTls = z
  .object({
    protocol: z
      .string()
      .nullable()
      .describe('The negotiated protocol, e.g. TLSv1.3 (null when the handshake did not get that far).'),
    error: z
      .string()
      .nullable()
      .describe("Null when the certificate was accepted; else Node's code, e.g. ERR_TLS_CERT_ALTNAME_INVALID."),
    certificate: certificateSummary
      .nullable()
      .describe("The server's leaf certificate, captured even when it was rejected."),
    chain: z.array(certificateSummary).describe('The certificates the server sent, leaf first.'),
    names: z
      .object({ strict: z.boolean(), node: z.boolean(), outlook: z.boolean() })
      .optional()
      .describe(
        'Addition: whether the certificate names the host under strict (RFC 9525), Node and Outlook (SChannel) rules; they differ on partial wildcards and CNs.',
      ),
    chainVerdict: z.string().optional().describe('Addition: trusted | incomplete | untrusted-root | self-signed.'),
    servername: z.string().nullable().optional().describe('Addition: the SNI name sent (null: none).'),
  })
  .meta({ id: 'tls', description: 'Present whenever a TLS handshake was attempted.' });

export const step = z
  .object({
    method: stepMethod,
    email: z.string().describe('The address this step asked for (changes after redirectAddr).'),
    url: z.string().optional().describe('Absent for pure DNS/LDAP steps.'),
    host: z.string(),
    addresses: z.array(z.string()).describe('What the name resolved to.'),
    result: stepResult,
    status: z.number().int().nullable().describe('HTTP status when there was one.'),
    tls: stepTls.optional(),
    redirectTo: z.string().nullable().describe('Where a redirect pointed (URL or address).'),
    detail: z.string(),
    ms: z.number().min(0).describe('How long the step took, in milliseconds.'),
    dnsMs: z
      .number()
      .min(0)
      .optional()
      .describe(
        "Addition: the part of `ms` spent on this step's DNS lookup (0 when an earlier step already paid for the same name).",
      ),
    httpMethod: z.enum(['GET', 'POST']).optional().describe('Addition: the HTTP method used, when a request was made.'),
    credentialsSent: z.boolean().optional().describe('Addition: whether credentials went with this request.'),
    authSchemes: z
      .array(z.string())
      .optional()
      .describe('Addition: authentication schemes a 401 offered (WWW-Authenticate).'),
    records: z.array(z.unknown()).optional().describe('Addition: DNS SRV records or SCP entries a lookup step found.'),
    capped: z
      .object({ limit: z.number().int().min(1), found: z.number().int().min(0) })
      .optional()
      .describe(
        'Addition: on an `srv` step whose answer has more usable targets than a client tries: only the first `limit` (in RFC 2782 order) of the `found` targets are tried.',
      ),
    round: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Addition: which address lookup round this step belongs to (0, then 1 after the first redirectAddr…).'),
    refusal: refusal.optional(),
    phase: z
      .enum(['dns', 'connect', 'tls', 'http'])
      .optional()
      .describe('Addition: where a `timeout`, `dns-error` or failure happened: DNS, the connection, TLS, or HTTP.'),
    protocol: z
      .literal('soap')
      .optional()
      .describe(
        'Addition: set on the steps of the SOAP Autodiscover part of a lookup (the `ews` profile): a POST of GetUserSettings to an autodiscover.svc URL, and the DNS, SCP and HTTP-redirect steps that found it. Absent: POX (or autoconfig).',
      ),
    soap: z
      .object({
        errorCode: z
          .string()
          .optional()
          .describe(
            "On a step that read a SOAP answer: its ErrorCode, the user's (`NoError`, `RedirectAddress`, `RedirectUrl`, `InvalidUser`, …), or the whole response's when that is not `NoError`.",
          ),
        enabled: z
          .array(z.string())
          .optional()
          .describe(
            'On a `soap-enabled` or `no-soap` step: the `X-…-Enabled` headers the answer carried (`X-SOAP-Enabled`, `X-WSSecurity-Enabled`, `X-OAuth-Enabled`, …); empty for `no-soap`.',
          ),
      })
      .optional()
      .describe(
        'Addition: on a step that read a SOAP Autodiscover answer (HTTP 200), or probed a host for one, what it found.',
      ),
    missingSettings: z
      .array(z.string())
      .optional()
      .describe(
        'Addition: the settings the client needs that this answer lacked, so it did not use it: an EWS application needs `ExternalEwsUrl` or `InternalEwsUrl` (SOAP), an `EwsUrl` (POX).',
      ),
    parallel: z
      .literal('scp')
      .optional()
      .describe(
        'Addition: set on a step the client ran at the same time as another phase instead of after it: `scp` for the DNS candidates a domain-joined Outlook 2013 asks while its SCP lookup runs (docs/lookups.md). Absent: in order.',
      ),
  })
  .meta({ id: 'step', description: 'One request or lookup.' });

export const protocolSettings = z
  .object({
    type: z.string().describe("The protocol's Type (EXCH, EXPR, WEB, IMAP, SMTP, mapiHttp, MobileSync, …)."),
  })
  .catchall(z.unknown());

export const discoveredSettings = z
  .object({
    email: z.string().describe('Address the settings belong to (after redirectAddr).'),
    url: z.string().describe('The URL that answered with the settings.'),
    method: stepMethod,
    user: z
      .object({
        displayName: z.string().nullable(),
        legacyDN: z.string().nullable(),
        autoDiscoverSMTPAddress: z.string().nullable(),
      })
      .describe('The User part of the answer.'),
    protocols: z
      .array(protocolSettings)
      .describe(
        'One entry per <Protocol> (or mobilesync <Server>, or autoconfig server); keys are the lower-camel-case form of the element names. A SOAP answer gives one entry of type `UserSettings`, its keys the lower-camel-case setting names (`externalEwsUrl`, `userDisplayName`, …).',
      ),
  })
  .meta({ id: 'settings', description: 'The settings the lookup obtained.' });

export const prompt = z
  .object({
    kind: z.enum(['certificate', 'redirect']),
    url: z.string(),
    host: z.string(),
    message: z.string().describe('What the user would see.'),
  })
  .meta({
    id: 'prompt',
    description: 'The prompt the client would show; the lookup stops there unless --accept answers it.',
  });

export const finding = z
  .object({
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/)
      .describe(
        'Stable code from the catalogue (docs/findings.md). The contract names CERT_NAME_MISMATCH, CERT_UNTRUSTED, CERT_CHAIN_INCOMPLETE, CERT_EXPIRED, CERT_NOT_YET_VALID, ROOT_DOMAIN_BLOCKS_FALLBACK, REDIRECT_NEEDS_CONSENT, INSECURE_REDIRECT, REDIRECT_LIMIT, CERT_PRINCIPAL_NAME_MISMATCH, NO_AUTODISCOVER_ENDPOINT; the catalogue may add more. A certificate fact (CERT_*) is always reported with its own code on the step where it was seen, even where another finding explains its consequence.',
      ),
    severity: z.enum(['error', 'warning', 'info']),
    title: z.string().describe('One line.'),
    detail: z.string().describe('Plain-language explanation naming the hosts, URLs and certificate names involved.'),
    fixes: z.array(z.string()).describe('Preferred fix first, alternatives after it.'),
    steps: z.array(z.number().int().min(0)).describe('Indexes into steps[] that show the evidence.'),
    because: z
      .array(z.number().int().min(0))
      .optional()
      .describe(
        'Addition: indexes into findings[] of the certificate facts (CERT_NAME_MISMATCH, CERT_UNTRUSTED, …) whose consequence this finding explains, e.g. ROOT_DOMAIN_BLOCKS_FALLBACK → the CERT_NAME_MISMATCH of the same step. The readable output shows those facts as one line under this finding.',
      ),
  })
  .meta({ id: 'finding', description: 'Something wrong, and how to fix it.' });

export const serviceCheck = z
  .object({
    service: z.string(),
    url: z.string(),
    host: z.string(),
    addresses: z.array(z.string()),
    result: z.enum(['ok', 'tls-error', 'not-found', 'dns-error', 'connect-failed', 'timeout']),
    tls: stepTls.optional(),
    detail: z.string(),
  })
  .meta({
    id: 'serviceCheck',
    description:
      'The certificate served for a URL the settings hand out (EWS, OAB, Outlook Anywhere…): evidence for the diagnosis.',
  });

/** Where the settings and the prompt must be present (an object) or absent (null), by outcome. */
const OUTCOME_RULES = (['settings', 'prompt'] as const).map((field) => ({
  if: { properties: { outcome: { const: field } }, required: ['outcome'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keywords; this object is never awaited
  then: { properties: { [field]: { type: 'object' } } },
  else: { properties: { [field]: { type: 'null' } } },
}));

export const discoveryReport = z
  .object({
    schema: z.literal(REPORT_SCHEMA_ID).describe('The report format and its version.'),
    email: z.string().describe('The address asked about.'),
    client: profileName,
    outcome,
    settings: discoveredSettings.nullable().describe('Null unless outcome is "settings".'),
    prompt: prompt
      .nullable()
      .describe('Null unless outcome is "prompt": then the prompt the client would show, where the lookup stopped.'),
    steps: z.array(step).describe('Every request and lookup, in the order the client makes them.'),
    findings: z.array(finding).describe('What is wrong and how to fix it; empty when nothing is.'),
    serviceChecks: z
      .array(serviceCheck)
      .optional()
      .describe('Addition: the certificates of the hosts the settings point to (checked after settings were found).'),
    evidence: z
      .object({ mx: z.array(z.string()).optional() })
      .optional()
      .describe('Addition: DNS evidence gathered for the diagnosis when the lookup failed (MX of the domain).'),
    timing: z
      .object({ wallMs: z.number().min(0), sequentialMs: z.number().min(0), clientSequentialMs: z.number().min(0) })
      .optional()
      .describe('Addition: how long the lookup took here, and what the real (sequential) client would have taken.'),
  })
  .meta({ allOf: OUTCOME_RULES });

export const discoveryComparison = z.object({
  schema: z.literal(COMPARISON_SCHEMA_ID).describe('The format of `--client all --json` and its version.'),
  email: z.string().describe('The address asked about.'),
  reports: z
    .array(
      discoveryReport.meta({
        id: 'report',
        description: 'One client’s report (discovery-report.schema.json).',
        allOf: OUTCOME_RULES,
      }),
    )
    .describe('One report per client, in the order of the profiles.'),
});
