/**
 * Each client's lookup as data: the steps in the client's order and how it treats what it meets. One engine
 * (engine.ts) walks any of these plans; adding a client is adding a profile here.
 */
import type { ProfileName, StepMethod } from './report.js';

/**
 * `protocol: 'soap'`: a step of the SOAP Autodiscover part of an EWS application's lookup. A `post` step POSTs
 * GetUserSettings to its (autodiscover.svc) URL; an `scp`, `http-redirect` or `srv` step finds a host the same way
 * as for POX, then POSTs GetUserSettings to https://<that host>/autodiscover/autodiscover.svc, as the EWS Managed
 * API does (docs/lookups.md). Absent: POX.
 */
export type StepProtocol = 'soap';

export type PlanStep =
  | { kind: 'scp'; protocol?: StepProtocol }
  /**
   * `alongside: 'scp'`: a domain-joined client asks this candidate at the same time as its SCP lookup, not after
   * it (Outlook 2013, docs/lookups.md); without a directory it is an ordinary step in its place.
   */
  | {
      kind: 'post';
      method: 'root-domain' | 'autodiscover-domain';
      url: string;
      alongside?: 'scp';
      protocol?: StepProtocol;
    }
  | { kind: 'http-redirect'; url: string; protocol?: StepProtocol }
  | { kind: 'srv'; name: string; protocol?: StepProtocol }
  | { kind: 'autoconfig'; url: string }
  /** Thunderbird's MX step: `{mxDomain}` is each domain steps/autoconfig-mx.ts derives from the MX host. */
  | { kind: 'autoconfig-mx'; url: string };

export type CertificatePolicy = 'move-on' | 'prompt';

export interface Profile {
  name: ProfileName;
  title: string;
  /** Short name for sentences: "At this step Outlook 2016+ moves on". */
  short: string;
  /** The request schema of the POX POST. */
  schema: 'outlook' | 'mobilesync';
  plan: readonly PlanStep[];
  /** What a certificate error does at a step: the lookup moves on silently, or stops at a prompt. */
  certificateErrors: Partial<Record<StepMethod, CertificatePolicy>> & { otherwise: CertificatePolicy };
  /** Redirect and SRV targets: the client asks first, always or only when the target is another organisation. */
  redirectConsent: 'always' | 'other-base-domain';
  /** Who is asked about a redirect or SRV target (default: the user). */
  consentBy?: string;
  /** Settings without an EWS URL are of no use to this client: it fails on them (an EWS application). */
  needsEwsUrl?: boolean;
  /** An Autodiscover <Error> from a non-SCP URL ends the lookup (stop) or is skipped (next). */
  errorResponse: 'stop' | 'next';
  /** Request headers the client sends with its POST. */
  headers: Record<string, string>;
  /** The real client's own timeout per request, for the "what the client would have taken" estimate. */
  clientTimeoutMs: number;
  /** Redirects of every kind the client follows in all (redirectUrl, redirectAddr, HTTP 3xx). */
  maxRedirects: number;
}

const ROOT = 'https://{domain}/autodiscover/autodiscover.xml';
const AUTODISCOVER = 'https://autodiscover.{domain}/autodiscover/autodiscover.xml';
const HTTP_REDIRECT = 'http://autodiscover.{domain}/autodiscover/autodiscover.xml';
const SRV = '_autodiscover._tcp.{domain}';

/** MS-OXDISCO order; Outlook 2016 KB 3211279 steps 5, 6, 7, 9, 10 (local XML, LKG and Office 365 steps are not modelled). */
const OUTLOOK_PLAN: readonly PlanStep[] = [
  { kind: 'scp' },
  { kind: 'post', method: 'root-domain', url: ROOT },
  { kind: 'post', method: 'autodiscover-domain', url: AUTODISCOVER },
  { kind: 'http-redirect', url: HTTP_REDIRECT },
  { kind: 'srv', name: SRV },
];

/**
 * Outlook 2013 (and, by field reports, later Outlook 2010 builds) on a domain-joined machine does not wait for
 * its SCP lookup: it does the DNS chase-down (the root domain, then autodiscover.<domain>) at the same time, so a
 * bad certificate on https://<domain> prompts even when SCP answers. Sources in docs/lookups.md (R. Milne,
 * Microsoft, "Outlook 2016 Autodiscover Implementation", 2019, on the "more asynchronous Outlook 2013
 * implementation"). Not modelled for Outlook 2016+: no source shows it there.
 */
const OUTLOOK_2013_PLAN: readonly PlanStep[] = [
  { kind: 'scp' },
  { kind: 'post', method: 'root-domain', url: ROOT, alongside: 'scp' },
  { kind: 'post', method: 'autodiscover-domain', url: AUTODISCOVER, alongside: 'scp' },
  { kind: 'http-redirect', url: HTTP_REDIRECT },
  { kind: 'srv', name: SRV },
];

const ROOT_SOAP = 'https://{domain}/autodiscover/autodiscover.svc';
const AUTODISCOVER_SOAP = 'https://autodiscover.{domain}/autodiscover/autodiscover.svc';

/**
 * An EWS application (the EWS Managed API's `ExchangeService.AutodiscoverUrl`, and what its ports copy): the whole
 * SOAP lookup first (`AutodiscoverService.GetSettings`: the SCP hosts, <domain>, autodiscover.<domain>, then the
 * HTTP redirect method and SRV, each host asked at /autodiscover/autodiscover.svc), and only when that finds no
 * settings the whole legacy POX lookup (`GetLegacyUserSettings`: SCP URLs, the two https URLs, the HTTP
 * redirect, SRV). Sources in docs/lookups.md.
 */
const EWS_PLAN: readonly PlanStep[] = [
  { kind: 'scp', protocol: 'soap' },
  { kind: 'post', method: 'root-domain', url: ROOT_SOAP, protocol: 'soap' },
  { kind: 'post', method: 'autodiscover-domain', url: AUTODISCOVER_SOAP, protocol: 'soap' },
  { kind: 'http-redirect', url: HTTP_REDIRECT, protocol: 'soap' },
  { kind: 'srv', name: SRV, protocol: 'soap' },
  ...OUTLOOK_PLAN,
];

const OUTLOOK_HEADERS = {
  'content-type': 'text/xml; charset=utf-8',
  'user-agent': 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0; autodisco discover)',
};

export const PROFILES: Record<ProfileName, Profile> = {
  outlook: {
    name: 'outlook',
    short: 'Outlook 2016+',
    title: 'Outlook 2016 and later (Microsoft 365 Apps)',
    schema: 'outlook',
    plan: OUTLOOK_PLAN,
    // KB 3211279: certificate errors at the root domain are silenced "because many root domains aren't
    // configured for Autodiscover"; everywhere else they raise the security prompt.
    certificateErrors: { 'root-domain': 'move-on', otherwise: 'prompt' },
    redirectConsent: 'always',
    errorResponse: 'stop',
    headers: { ...OUTLOOK_HEADERS, 'x-mapihttpcapability': '1', 'x-clientcanhandle': 'Negotiate, ExHttpInfo' },
    clientTimeoutMs: 25_000, // WinHTTP timeout Outlook uses for Autodiscover (registry Timeout, default 25 s)
    maxRedirects: 10,
  },
  'outlook-2013': {
    name: 'outlook-2013',
    short: 'Outlook 2007-2013',
    title: 'Outlook 2007, 2010 and 2013',
    schema: 'outlook',
    plan: OUTLOOK_2013_PLAN,
    // Older Outlook prompts on a root-domain certificate error and does not go on to autodiscover.<domain>.
    certificateErrors: { otherwise: 'prompt' },
    redirectConsent: 'always',
    errorResponse: 'stop',
    headers: {
      ...OUTLOOK_HEADERS,
      'user-agent': 'Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0; autodisco discover)',
    },
    clientTimeoutMs: 25_000,
    maxRedirects: 10,
  },
  activesync: {
    name: 'activesync',
    short: 'an ActiveSync device',
    title: 'Exchange ActiveSync device (mobilesync schema)',
    schema: 'mobilesync',
    // MS-ASCMD: the same candidates; devices are not domain-joined, so no SCP.
    plan: OUTLOOK_PLAN.filter((s) => s.kind !== 'scp'),
    certificateErrors: { 'root-domain': 'move-on', otherwise: 'prompt' },
    redirectConsent: 'always',
    errorResponse: 'stop',
    headers: { 'content-type': 'text/xml', 'user-agent': 'Apple-iPhone/2101.123 (autodisco discover)' },
    clientTimeoutMs: 30_000,
    maxRedirects: 10,
  },
  thunderbird: {
    name: 'thunderbird',
    short: 'Thunderbird',
    title: 'Thunderbird (autoconfig, then Exchange Autodiscover)',
    schema: 'outlook',
    // comm-central FindConfig.sys.mjs `parallelAutoDiscovery`: fromDisk, fromISP (autoconfig over https then http),
    // fromDB (the ISPDB), forMX (autoconfig of the MX host's domain, https only), with Exchange Autodiscover
    // (autodiscover.<domain> before <domain>) beside them; autoconfig wins when both answer (docs/lookups.md).
    // Thunderbird runs the sources in parallel and takes the best; the report lists them in that priority. The
    // ISPDB (Mozilla's database on the internet) is not asked by this offline tool.
    plan: [
      { kind: 'autoconfig', url: 'https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}' },
      { kind: 'autoconfig', url: 'https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={email}' },
      { kind: 'autoconfig', url: 'http://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}' },
      { kind: 'autoconfig', url: 'http://{domain}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={email}' },
      { kind: 'autoconfig-mx', url: 'https://autoconfig.{mxDomain}/mail/config-v1.1.xml?emailaddress={email}' },
      { kind: 'post', method: 'autodiscover-domain', url: AUTODISCOVER },
      { kind: 'post', method: 'root-domain', url: ROOT },
      { kind: 'http-redirect', url: HTTP_REDIRECT },
      { kind: 'srv', name: SRV },
    ],
    // A fetch with a bad certificate simply fails; Thunderbird goes on with the other sources.
    certificateErrors: { otherwise: 'move-on' },
    redirectConsent: 'other-base-domain',
    errorResponse: 'next',
    headers: { 'content-type': 'text/xml; charset=utf-8', 'user-agent': 'Thunderbird (autodisco discover)' },
    clientTimeoutMs: 10_000,
    maxRedirects: 10,
  },
  ews: {
    name: 'ews',
    short: 'an EWS application',
    title: 'EWS application (EWS Managed API lookup: SOAP Autodiscover, then POX)',
    // The legacy (POX) request of the EWS Managed API is Outlook's (requestschema/2006, responseschema/2006a).
    schema: 'outlook',
    plan: EWS_PLAN,
    // .NET's default certificate validation: a bad certificate fails the request (a WebException), the API
    // catches it and tries the next host. Nobody is asked: there is no prompt in an application.
    certificateErrors: { otherwise: 'move-on' },
    // The application's AutodiscoverRedirectionUrlValidationCallback decides on the HTTP-redirect and SRV targets
    // (the default one refuses every redirect): --accept redirect stands for a callback that says yes.
    redirectConsent: 'always',
    consentBy: "the application's redirection-validation callback",
    needsEwsUrl: true,
    errorResponse: 'stop',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      'user-agent': 'ExchangeServicesClient/15.00.0913.015 (autodisco discover)',
    },
    clientTimeoutMs: 100_000, // ExchangeServiceBase.Timeout, default 100 s
    maxRedirects: 10, // AutodiscoverService.AutodiscoverMaxRedirections
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export function certificatePolicy(profile: Profile, method: StepMethod): CertificatePolicy {
  return profile.certificateErrors[method] ?? profile.certificateErrors.otherwise;
}
