/**
 * The fleet lab's categories: each reproduces one situation of the built-in scenarios (named in `like`) for many
 * domains at once, with what each client profile meets there: its outcome and the finding codes the diagnosis
 * gives. The expectations are those of the built-in twin (test/lab/builtin.test.ts), adapted where the fleet's
 * world differs (noted per category); test/lab/fleet.test.ts checks every domain of a fleet against them.
 */
import type { Outcome, ProfileName } from '../../discover/report.js';

export const FLEET_CATEGORIES = [
  'healthy',
  'root-trap',
  'root-no-tls',
  'expired',
  'srv-only',
  'http-redirect',
  'nothing',
  'wildcard-dns',
  // The fleet findings (docs/findings-research.md), end to end:
  'plain-http-autoconfig',
  'dangling-host',
  'expiring',
] as const;
export type FleetCategory = (typeof FLEET_CATEGORIES)[number];

/**
 * The clients a fleet's expectations cover: the four of an audit (issue 10). An EWS application (`ews`) is not
 * modelled per category: audit it against the built-in SOAP scenarios instead.
 */
export const FLEET_CLIENTS = ['outlook', 'outlook-2013', 'activesync', 'thunderbird'] as const;
export type FleetClient = (typeof FLEET_CLIENTS)[number] & ProfileName;

export interface Expectation {
  outcome: Outcome;
  /** Sorted finding codes, once per finding (a code raised for two hosts is listed twice). */
  findings: string[];
}

export interface CategoryInfo {
  title: string;
  /** The built-in scenario telling the same story. */
  like: string;
  expect: Record<FleetClient, Expectation>;
}

const e = (outcome: Outcome, ...findings: string[]): Expectation => ({ outcome, findings: [...findings].sort() });
const same = (x: Expectation): Record<FleetClient, Expectation> => ({
  outlook: x,
  'outlook-2013': x,
  activesync: x,
  thunderbird: x,
});

export const CATEGORIES: Record<FleetCategory, CategoryInfo> = {
  healthy: {
    title: 'autodiscover.<domain> with a valid certificate; the website at <domain> has one naming it',
    like: 'root-domain-fixed-san',
    expect: same(e('settings')),
  },
  'root-trap': {
    title: 'the website answers https://<domain> with a certificate for www.<domain> only (the root-domain trap)',
    like: 'root-domain-trap',
    expect: {
      outlook: e('settings', 'ROOT_DOMAIN_BLOCKS_FALLBACK', 'CERT_NAME_MISMATCH'),
      'outlook-2013': e('prompt', 'ROOT_DOMAIN_BLOCKS_FALLBACK', 'CERT_NAME_MISMATCH'),
      activesync: e('settings', 'ROOT_DOMAIN_BLOCKS_FALLBACK', 'CERT_NAME_MISMATCH'),
      thunderbird: e('settings', 'CERT_NAME_MISMATCH'),
    },
  },
  'root-no-tls': {
    title: 'the website at <domain> answers plain HTTP only: port 443 is closed there',
    like: 'root-domain-fixed-no-tls',
    expect: same(e('settings')),
  },
  expired: {
    title: 'the certificate of autodiscover.<domain> has expired',
    like: 'expired-certificate',
    expect: {
      outlook: e('prompt', 'CERT_EXPIRED'),
      'outlook-2013': e('prompt', 'CERT_EXPIRED'),
      activesync: e('prompt', 'CERT_EXPIRED'),
      thunderbird: e('failed', 'CERT_EXPIRED'),
    },
  },
  'srv-only': {
    title: 'only an SRV record _autodiscover._tcp.<domain> pointing at the provider autodiscover.hoster.test',
    // Unlike srv-hosting-provider, one SRV record on port 443: no SRV_PORT_IGNORED.
    like: 'srv-hosting-provider',
    expect: same(e('prompt', 'REDIRECT_NEEDS_CONSENT')),
  },
  'http-redirect': {
    title: 'http://autodiscover.<domain> redirects to https://mail.provider.test (the HTTP redirect method)',
    like: 'http-redirect-method',
    expect: same(e('prompt', 'REDIRECT_NEEDS_CONSENT')),
  },
  nothing: {
    title: 'no DNS record at all for <domain>',
    like: 'new-smtp-domain',
    expect: same(e('failed', 'NEW_DOMAIN_WITHOUT_AUTODISCOVER', 'NO_AUTODISCOVER_ENDPOINT')),
  },
  'wildcard-dns': {
    title: 'a wildcard DNS record sends autodiscover.<domain> to a shared web host with a *.webhost.test certificate',
    like: 'wildcard-dns-shared-hosting',
    expect: {
      outlook: e('prompt', 'SNI_DEFAULT_CERTIFICATE', 'CERT_NAME_MISMATCH'),
      'outlook-2013': e('prompt', 'SNI_DEFAULT_CERTIFICATE', 'CERT_NAME_MISMATCH'),
      activesync: e('prompt', 'SNI_DEFAULT_CERTIFICATE', 'CERT_NAME_MISMATCH'),
      // Thunderbird meets the web host's default certificate twice: at autoconfig.<domain> and at
      // autodiscover.<domain> (both names come from the wildcard): one finding per host.
      thunderbird: e(
        'failed',
        'SNI_DEFAULT_CERTIFICATE',
        'SNI_DEFAULT_CERTIFICATE',
        'CERT_NAME_MISMATCH',
        'CERT_NAME_MISMATCH',
        'NO_AUTODISCOVER_ENDPOINT',
      ),
    },
  },
  'plain-http-autoconfig': {
    title: 'autoconfig.<domain> answers on plain HTTP only, and the settings offer IMAP without TLS with a password',
    like: 'root-domain-fixed-no-tls',
    expect: {
      outlook: e('settings', 'PLAINTEXT_PASSWORD_LOGIN'),
      'outlook-2013': e('settings', 'PLAINTEXT_PASSWORD_LOGIN'),
      // The mobilesync answer names no IMAP server.
      activesync: e('settings'),
      thunderbird: e('settings', 'CONFIG_OVER_PLAIN_HTTP', 'PLAINTEXT_PASSWORD_LOGIN'),
    },
  },
  'dangling-host': {
    title: 'the settings send clients to mail-<n>.gone-provider.test, a name whose domain does not exist',
    like: 'service-url-not-covered',
    expect: same(e('settings', 'SETTINGS_HOST_DANGLING')),
  },
  expiring: {
    title: 'the certificate of autodiscover.<domain> expires in 7 days',
    like: 'expiring-certificate',
    expect: same(e('settings', 'CERT_EXPIRING_SOON')),
  },
};
