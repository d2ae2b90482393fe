/**
 * The one catalogue of finding codes: the report's `findings`, the human output and docs/findings.md all come
 * from here (test/generated.test.ts keeps the page in sync). Codes are never reused: retire one by moving it to
 * RETIRED_FINDING_CODES. Templates take {placeholders} that the rules fill with the hosts, URLs and names seen.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface CatalogueEntry {
  severity: Severity;
  title: string;
  /** When the finding is raised (for the docs page). */
  when: string;
  /** The explanation, with {placeholders}. */
  detail: string;
  /** Fixes, preferred first, with {placeholders}. A fix that fills to nothing is left out (it does not apply here). */
  fixes: readonly string[];
  references: readonly string[];
}

const KB3211279 = 'Microsoft KB 3211279, "Outlook 2016 implementation of Autodiscover"';
const MS_OXDISCO = '[MS-OXDISCO] Autodiscover HTTP Service Protocol, §3.1.5';
const KB2772058 = 'Microsoft KB 2772058, certificate name warning in Outlook';
const RFC9525 = 'RFC 9525 §6.3 (wildcards match exactly one label)';
const NDSS_2025 =
  'S. Wen et al., "Automatic Insecurity: Exploring Email Auto-configuration in the Wild", NDSS 2025 (docs/findings-research.md)';

export const FINDINGS = {
  ROOT_DOMAIN_BLOCKS_FALLBACK: {
    severity: 'error',
    title: 'The root-domain URL fails on its certificate before autodiscover.{domain} is tried',
    when: 'The root-domain step fails on TLS in a way that stops (or, for clients that prompt, interrupts) the lookup before autodiscover.<domain> is tried: typically the public website answers https://<domain> with a certificate for www.<domain> only.',
    detail:
      '{url} is the first URL Outlook (and ActiveSync devices) try. The server at {host} ({addresses}) answered with the certificate for {names} (issued by {issuer}), {problem}{websiteNote}. {clientEffect}',
    fixes: [
      "Add {host} to the website's certificate (reissue it for {names} and {host}). Outlook then reads the website's answer, sees it is not Autodiscover, and goes on to autodiscover.{domain}. This is the preferred fix: the website stays encrypted.",
      'Stop answering HTTPS on {host}:443 (close the port, or do not listen on it): a refused connection lets Outlook move on at once. Only do this if nothing on https://{host} needs encryption.',
      'For managed Windows clients only: set the policy ExcludeHttpsRootDomain=1 under HKCU\\Software\\Policies\\Microsoft\\Office\\<version>\\Outlook\\AutoDiscover (16.0 for Outlook 2016 and later, 15.0 for 2013, 14.0 for 2010, 12.0 for 2007), or pre-approve hosts under RedirectServers. This only helps the machines the policy reaches.',
    ],
    references: [
      KB3211279,
      'Microsoft KB 2783881, suppressing the Autodiscover certificate mismatch warning',
      MS_OXDISCO,
    ],
  },
  ROOT_DOMAIN_PROMPT_BESIDE_SCP: {
    severity: 'error',
    title: 'Domain-joined {clientName} shows the certificate warning for {host} although SCP answers',
    when: 'A domain-joined client that asks the DNS candidates at the same time as its SCP lookup (Outlook 2013) meets a certificate error at the root domain: users see the warning even though the settings come from SCP.',
    detail:
      '{clientName} on a domain-joined machine does not wait for its SCP lookup: it asks {url} at the same time. The server at {host} ({addresses}) answered with the certificate for {names} (issued by {issuer}), which does not name {host}{websiteNote}. So users see "The name on the security certificate is invalid or does not match the name of the site" for {host}, although the SCP URL {scpUrl} gives Outlook its settings. Pressing No does no harm; pressing Yes teaches users to accept a wrong certificate.',
    fixes: [
      "Add {host} to the website's certificate (reissue it for {names} and {host}): the request then fails quietly on the website's answer. This is the preferred fix: it helps every client, joined or not.",
      'For the domain-joined machines (Group Policy reaches them): set the policy ExcludeHttpsRootDomain=1 (HKCU\\Software\\Policies\\Microsoft\\Office\\15.0\\Outlook\\AutoDiscover for Outlook 2013): Outlook no longer asks https://{host}.',
      'Stop answering HTTPS on {host}:443 (close the port): a refused connection raises no warning. Only if nothing on https://{host} needs encryption.',
    ],
    references: [
      'R. Milne (Microsoft), "Outlook 2016 Autodiscover Implementation" (2019): Outlook 2013 does the DNS lookups at the same time as SCP; see docs/lookups.md',
      'Microsoft KB 2212902, the Exclude* values under the AutoDiscover key',
      KB3211279,
    ],
  },
  CERT_NAME_MISMATCH: {
    severity: 'error',
    title: '{host} answers with a certificate that does not name it',
    when: "A server's certificate does not name the host that was asked for.",
    detail:
      'At {url} the server presented a certificate for {names} (issued by {issuer}), which does not name {host}. Clients refuse it{promptNote}.',
    fixes: [
      'Reissue the certificate for {host} as well (add it as a subject alternative name), or point {host} at a server whose certificate names it.',
      'If {host} should not answer here at all, {stopAnswering}.',
    ],
    references: [KB2772058, RFC9525],
  },
  CERT_WILDCARD_MISMATCH: {
    severity: 'error',
    title: 'The wildcard certificate {wildcard} cannot cover {host}',
    when: 'The served certificate is a wildcard that does not cover the host: the bare domain, a deeper level, or another domain.',
    detail:
      'The certificate at {url} is for {names}. A wildcard matches exactly one label: {wildcard} covers names like www.{wildcardBase} but not {host} ({why}).',
    fixes: [
      'Add {host} itself to the certificate as its own name.',
      'Use a host name the wildcard does cover, and point DNS and the configuration at it.',
    ],
    references: [RFC9525, 'Microsoft KB 258858, accepted wildcards in server certificates'],
  },
  CERT_UNTRUSTED: {
    severity: 'error',
    title: 'The certificate of {host} does not lead to a trusted root',
    when: 'The chain does not lead to a trusted root (self-signed included).',
    detail: 'The certificate at {url} ({names}) {chainProblem}. Clients show a security warning or refuse it.',
    fixes: [
      'Install a certificate from a public certification authority (for example a free ACME certificate) that names {host}.',
      'For a private CA, deploy its root certificate to every client (Group Policy on Windows, a profile on iOS and macOS); phones and home computers will still warn.',
    ],
    references: ['docs/tls.md §2.1 (rows 2 to 5)'],
  },
  CERT_CHAIN_INCOMPLETE: {
    severity: 'error',
    title: '{host} does not send its intermediate certificate',
    when: 'The server does not send the intermediate certificates its leaf needs.',
    detail:
      'The server at {url} sent its certificate ({names}) without the intermediate {missingIssuer}. Outlook on Windows usually fetches the missing certificate itself (AIA), so it may appear to work there, but phones, Thunderbird, Node, curl and Python clients fail with "unable to verify the first certificate".',
    fixes: [
      'Configure the server with the full chain file (the certificate followed by its intermediates), not the certificate alone.',
    ],
    references: [
      'RFC 5280 §4.2.2.1 (AIA caIssuers)',
      'Node.js issue 16336 (Node does not fetch missing intermediates)',
    ],
  },
  CERT_EXPIRED: {
    severity: 'error',
    title: 'The certificate of {host} has expired',
    when: "The certificate's validity has ended.",
    detail:
      'The certificate at {url} ({names}) expired on {notAfter}. Outlook shows a security warning on every Autodiscover run until it is renewed.',
    fixes: [
      'Renew the certificate and install it with its intermediates; automate renewal (ACME) so it cannot happen again.',
    ],
    references: [KB2772058],
  },
  CERT_NOT_YET_VALID: {
    severity: 'error',
    title: 'The certificate of {host} is not valid yet',
    when: "The certificate's validity has not begun.",
    detail:
      'The certificate at {url} ({names}) is valid only from {notBefore}. Either it was installed too early or a clock is wrong.',
    fixes: [
      "Check the server's and the clients' clocks (NTP).",
      'Reissue the certificate with a start date in the past.',
    ],
    references: [KB2772058],
  },
  CERT_EXPIRING_SOON: {
    severity: 'warning',
    title: 'The certificate of {host} expires in {days} day(s)',
    when: 'A certificate that works today, on any host a client uses (an Autodiscover URL or a URL the settings hand out), expires within 30 days. The severity follows the days left, so a fleet audit can page on the last week: info within 30 days, a warning within 14, an error within 7 (counted from the diagnosis clock).',
    detail:
      'The certificate at {url} ({names}) expires on {notAfter}. When it does, clients will show security warnings.',
    fixes: [
      'Renew it now, and automate renewal (ACME) with a reload of the server (autodisco serve reloads on SIGHUP).',
    ],
    references: [],
  },
  SNI_DEFAULT_CERTIFICATE: {
    severity: 'error',
    title: '{host} is answered by another site’s default certificate',
    when: "The server has no certificate for the host's name and answers with its default one (a hosting provider's or another site's). One finding per host. {srvFix} is, for an Autodiscover host, an SRV record _autodiscover._tcp.<domain> pointing at a host with a valid certificate (and who asks the user first); for autoconfig.<domain> nothing, since an SRV record does not replace it.",
    detail:
      'At {url} the server answered with a certificate for {names}, whose names belong to {otherDomains}, not to {domain}. The server at {addresses} has no certificate (no virtual host) for {host}: it used its default. This often happens when {host} points, on purpose or through a wildcard DNS record, at a shared web host.',
    fixes: [
      'Point {host} at the mail server that holds a certificate for it (replace a wildcard DNS record with an explicit record for {host}).',
      'Configure a virtual host with a certificate for {host} on that server.',
      '{srvFix}',
    ],
    references: ['docs/tls.md §4 (a server’s default certificate)'],
  },
  CERT_PRINCIPAL_NAME_MISMATCH: {
    severity: 'error',
    title: 'CertPrincipalName {principal} does not match the certificate of {host}',
    when: 'The Outlook Anywhere CertPrincipalName (msstd:…) does not match the certificate of that server.',
    detail:
      'The settings tell Outlook to accept only a proxy certificate named {principalName} for {host}, but {host} presents a certificate for {names}. Outlook then keeps asking for the password or cannot connect.',
    fixes: [
      'Set the Outlook Anywhere certificate principal to a name on the certificate: msstd:{suggested} (Exchange: Set-OutlookProvider EXPR -CertPrincipalName msstd:{suggested}).',
    ],
    references: ['docs/protocol.md §3.3 (CertPrincipalName)', 'docs/tls.md §3.3'],
  },
  SERVICE_URL_NOT_COVERED: {
    severity: 'error',
    title: 'The {service} URL {url} is not covered by the certificate of {host}',
    when: 'A URL the settings hand out (EWS, OAB, Outlook Anywhere, ActiveSync, IMAP/SMTP host) leads to a server whose certificate does not cover it.',
    detail:
      'Autodiscover answered with {service} at {url}; the server there presents a certificate for {names}{problem}.',
    fixes: [
      'Put {host} on that server’s certificate, or change the {service} URL (Exchange: Set-WebServicesVirtualDirectory and friends, InternalUrl/ExternalUrl) to a name the certificate has.',
    ],
    references: ['Exchange: certificates for client access, "every name clients use must be on the certificate"'],
  },
  SCP_URL_NOT_ON_CERTIFICATE: {
    severity: 'error',
    title: 'The SCP points at {host}, a name the certificate does not have',
    when: 'A URL found in Active Directory (SCP) uses a NetBIOS or server name that is not on the certificate.',
    detail:
      'Domain-joined Outlook reads {url} from the directory (Service Connection Point {dn}). The server there presents a certificate for {names}, which does not include {host}{netbiosNote}. Domain-joined users get a certificate warning.',
    fixes: [
      'Set AutoDiscoverServiceInternalUri to a name on the certificate: Set-ClientAccessService -Identity {server} -AutoDiscoverServiceInternalUri https://{suggested}/Autodiscover/Autodiscover.xml (Set-ClientAccessServer on Exchange 2007-2013).',
      'Public CAs no longer issue certificates for NetBIOS or internal server names, so adding {host} to the certificate is not an option with a public certificate.',
    ],
    references: ['Exchange: Set-ClientAccessService -AutoDiscoverServiceInternalUri', MS_OXDISCO],
  },
  CANDIDATE_TIMEOUT: {
    severity: 'error',
    title: '{url} never answers: every lookup waits there',
    when: 'A URL the client tries (typically the root domain https://<domain>) times out: the client waits its whole timeout there on every lookup. A warning when settings are found after it. {slower} says what that costs this client (Outlook and devices: every new profile and Autodiscover refresh; Thunderbird: every account set up).',
    detail: 'The server at {host} ({addresses}) {how}. The client waits {wait} at {url} {after}: {slower}.',
    fixes: [
      'Let the server at {host} answer that URL at once, with any HTTP status (a 404 is fine): the client then moves on immediately.',
      'If nothing needs {host}:{port}, stop listening there (or let the firewall reject rather than drop): a refused connection lets the client move on at once.{policyNote}',
    ],
    references: [KB3211279, MS_OXDISCO],
  },
  SRV_PORT_IGNORED: {
    severity: 'warning',
    title: 'The SRV record asks for port {port}, which Outlook ignores',
    when: 'An _autodiscover._tcp SRV record names a port other than 443.',
    detail:
      '{record} names port {port}. Outlook (and Thunderbird) always connect to 443 on the SRV target, so the port is not used.',
    fixes: ['Serve Autodiscover on {target}:443 and set the record’s port to 443.'],
    references: ['gromox autodiscover(7): "Outlook ignores the port number in the DNS SRV response"'],
  },
  REDIRECT_NEEDS_CONSENT: {
    severity: 'warning',
    title: 'Settings come through {host}, and the client asks the user first',
    when: 'Settings are only reachable through a redirect or SRV target that the client asks the user about.',
    detail: 'The lookup reaches settings only through {url} ({via}). {whoAsks}',
    fixes: [
      'Publish autodiscover.{domain} (an A or CNAME record) pointing at a server whose certificate names autodiscover.{domain}: no prompt at all.',
      '{policyFix}',
    ],
    references: ['Microsoft KB 2480582, suppressing the Autodiscover redirect warning', MS_OXDISCO],
  },
  INSECURE_REDIRECT: {
    severity: 'error',
    title: 'A redirect points to plain HTTP and is refused',
    when: 'A redirect pointed to http:// and was refused.',
    detail:
      '{from} redirects to {url}. Clients follow Autodiscover redirects only to https:// (credentials would travel in clear text), so this redirect is dead.',
    fixes: ['Redirect to the https:// URL instead.'],
    references: [KB3211279],
  },
  REDIRECT_LIMIT: {
    severity: 'error',
    title: 'The redirects loop or exceed the limit of 10',
    when: 'The chain of redirects looped or passed the limit of 10.',
    detail: 'The lookup was sent on {count} times ({chain}); clients stop at a loop or after 10 redirects.',
    fixes: [
      'Make each redirect point at the final Autodiscover URL (or address) directly, and check that the target does not redirect back.',
    ],
    references: ['docs/protocol.md §1.3 ("stop redirecting after 10 redirects")'],
  },
  AUTH_REJECTED_EVERYWHERE: {
    severity: 'error',
    title: 'Every Autodiscover URL answered 401',
    when: 'Every candidate that answered wanted authentication the lookup could not give.',
    detail: 'The servers at {urls} answered 401 ({schemes}){credentialNote}.',
    fixes: [
      'Check the user name and password (for Microsoft 365 and many servers: the full e-mail address as user name).',
      'Check that the server offers an authentication scheme the client supports here ({schemes}); Basic is refused by modern Exchange Online.',
    ],
    references: ['Handling Autodiscover error messages (HTTP 401)'],
  },
  NEW_DOMAIN_WITHOUT_AUTODISCOVER: {
    severity: 'error',
    title: '{domain} has no Autodiscover name or SRV record',
    when: 'A (new) SMTP domain has neither autodiscover.<domain> (A/CNAME) nor an SRV record, so clients find nothing for it.',
    detail:
      'For {domain}, autodiscover.{domain} does not exist in DNS and there is no _autodiscover._tcp.{domain} SRV record{rootNote}. Clients of {email} cannot find their settings.',
    fixes: [
      'Add a DNS record and a certificate name: autodiscover.{domain}. CNAME {target}. and add autodiscover.{domain} to the certificate of {target}.',
      'Without a new certificate name: _autodiscover._tcp.{domain}. SRV 0 0 443 {target}. Outlook then asks each user once whether {target} may configure their account.',
    ],
    references: ['Exchange: Autodiscover DNS records for each accepted domain', MS_OXDISCO],
  },
  DNS_UNAVAILABLE: {
    severity: 'error',
    title: 'DNS could not be asked about {names}',
    when: 'A DNS lookup failed without an answer (timeout, SERVFAIL, REFUSED, an unreachable server, no network): whether those names exist is unknown, so no finding about missing records is drawn from them. A warning when settings were found all the same.',
    detail:
      'The lookups of {names} got no answer from DNS: {reason}. That says nothing about the records themselves (they may well exist), so no finding here proposes DNS records for them.',
    fixes: [
      'Check that this machine can reach its DNS server ({servers}): network, VPN and firewall (DNS uses UDP and TCP, port 53 unless --dns names another), then run the lookup again.',
      'Ask a DNS server that answers for {domain} (run the same command again with --dns <address of that server>), or run the lookup from a machine with network access.',
    ],
    references: ['RFC 1035 §4.1.1 (RCODE: SERVFAIL, REFUSED)', 'RFC 2308 (NXDOMAIN and NODATA are answers)'],
  },
  NO_AUTODISCOVER_ENDPOINT: {
    severity: 'error',
    title: 'No step reached an Autodiscover service for {domain}',
    when: 'No step reached an Autodiscover service for the domain (and DNS answered every lookup: see DNS_UNAVAILABLE otherwise). {autodiscoverFix} follows what the autodiscover.<domain> step saw: publish the name if DNS says it does not exist; if it resolves but does not answer HTTPS, make it answer HTTPS on port 443 with a certificate naming it; if it answers with a refused certificate or no Autodiscover, fix that server. The SRV record is proposed only to clients whose lookup asks for it, and an autoconfig file only to clients that read one (Thunderbird).',
    detail: 'Every candidate failed: {summary}.',
    fixes: ['{autodiscoverFix}', '{srvFix}', '{autoconfigFix}'],
    references: [MS_OXDISCO],
  },
  AUTODISCOVER_ERROR: {
    severity: 'error',
    title: '{host} answered with Autodiscover error {code}',
    when: 'An Autodiscover server answered with an <Error> (500: the address is unknown there; 600/601: the request or schema is not accepted).',
    detail: '{url} answered error {code}: "{message}". {meaning}',
    fixes: ['{fix}'],
    references: ['[MS-OXDSCLI] ErrorCode'],
  },
  SETTINGS_OVER_HTTP_IGNORED: {
    severity: 'warning',
    title: 'http://autodiscover.{domain} answers with content instead of a redirect',
    when: 'The plain-HTTP URL of the HTTP redirect method answered 200; clients ignore that.',
    detail: '{url} answered HTTP 200. Outlook uses this URL only for a redirect to https://; anything else it ignores.',
    fixes: [
      'Answer GET http://autodiscover.{domain}/autodiscover/autodiscover.xml with a 302 to the https:// Autodiscover URL (autodisco serve does this with --http-mode redirect).',
    ],
    references: [KB3211279],
  },
  UNSPECIFIED_ADDRESS_ANSWER: {
    severity: 'error',
    title: '{host} resolves to {addresses}, which is no server',
    when: 'DNS answers a candidate name with an unspecified address (0.0.0.0 or ::) and nothing else: autodisco refuses it as a target.',
    detail:
      '{host} resolves only to {addresses}. An unspecified address names no server: a connection to it on Linux reaches the local machine, so any service listening there would receive the request. autodisco does not connect; the client moves on.',
    fixes: [
      'Give {host} the address of the Autodiscover server (an A or AAAA record), or remove the record if {host} should not exist.',
      'If a DNS filter (ad blocker, sinkhole) answers 0.0.0.0 for {host}, exempt the name: it blocks Autodiscover for this domain.',
    ],
    references: [
      'RFC 1122 §3.2.1.3 (0.0.0.0 is never a destination)',
      'RFC 4291 §2.5.2 (:: must not be a destination)',
    ],
  },
  LOCAL_ADDRESS_FOR_PUBLIC_NAME: {
    severity: 'warning',
    title: 'The public name {host} resolves to a {scope} address ({addresses})',
    when: 'A public name (under an ICANN suffix; not .test, .local, .internal, home.arpa…) resolves to a loopback, link-local or private address.',
    detail: '{host} is a public name, but DNS answered {addresses}: a {scope} address. {consequence}',
    fixes: [
      'If this is not intended, fix the A/AAAA records of {host} (or the DNS server that answered: a filter or a hijacking resolver).',
      'Split-horizon DNS (an internal answer inside the company) is normal for private addresses: then check it from outside the company network too.',
    ],
    references: [
      'RFC 6890 (special-purpose address registries)',
      'RFC 1918 (private IPv4), RFC 4193 (unique local IPv6), RFC 3927 and RFC 4291 §2.5.6 (link-local)',
    ],
  },
  SOAP_ENDPOINT_MISSING: {
    severity: 'warning',
    title: '{host} answers POX Autodiscover but has no SOAP endpoint (autodiscover.svc)',
    when: 'An EWS application found no SOAP endpoint on a host whose POX URL answered: the GET of https://<host>/autodiscover/autodiscover.xml carried no X-SOAP-Enabled header, or the GetUserSettings POST to https://<host>/autodiscover/autodiscover.svc got no SOAP answer (404 or another status, or a page that is no SOAP answer).',
    detail:
      '{soapEvidence}, while the POX request to {poxUrl} on the same host was answered {poxResult}. EWS applications (CRM and archiving connectors, migration tools, scripts) ask autodiscover.svc first: those that speak only SOAP Autodiscover (ews-javascript-api, most ports of the EWS Managed API) find nothing here, and the EWS Managed API itself reaches the POX URL only after its whole SOAP lookup has failed.',
    fixes: [
      'Serve SOAP Autodiscover at https://{host}/autodiscover/autodiscover.svc and say so with the header X-SOAP-Enabled: True on the answers of https://{host}/autodiscover/autodiscover.xml (autodisco serve does both unless started with --no-soap; on Exchange, check the Autodiscover virtual directory and any reverse proxy rule that publishes only /autodiscover/autodiscover.xml).',
      'If a reverse proxy or load balancer publishes Autodiscover, add the path /autodiscover/autodiscover.svc (and /autodiscover/autodiscover.svc/wssecurity) next to /autodiscover/autodiscover.xml.',
    ],
    references: [
      '[MS-OXWSADISC] SOAP Autodiscover',
      'EWS Managed API, AutodiscoverService and ExchangeService.AutodiscoverUrl (docs/lookups.md)',
    ],
  },
  SOAP_REDIRECT_URL_INSECURE: {
    severity: 'error',
    title: 'A SOAP Autodiscover answer sends the client to plain HTTP ({url})',
    when: 'A GetUserSettings answer with ErrorCode RedirectUrl pointed to an http:// URL, which is refused.',
    detail:
      '{from} answered ErrorCode RedirectUrl with the RedirectTarget {url}. The next GetUserSettings request would carry the credentials in clear text, so it is refused and this answer leads nowhere.',
    fixes: [
      "Make the RedirectTarget the https:// URL of the SOAP endpoint (https://<host>/autodiscover/autodiscover.svc); in autodisco, give the user's or domain's redirectUrl as https://.",
    ],
    references: ['[MS-OXWSADISC] §3.1.4.4 GetUserSettings, RedirectUrl', 'docs/protocol.md §4.5'],
  },
  EWS_URL_MISSING: {
    severity: 'error',
    title: '{host} answers without an EWS URL: EWS applications cannot use the answer',
    when: 'An Autodiscover answer (SOAP NoError, or POX settings) held none of the settings an EWS application needs: ExternalEwsUrl or InternalEwsUrl (SOAP), EwsUrl (POX).',
    detail:
      '{url} answered for {email} without {missing}. An EWS application looks up Autodiscover for exactly this URL (ExchangeService.AutodiscoverUrl): without it, it fails with "The Autodiscover service didn\'t return an appropriate URL that can be used for the ExchangeService Autodiscover URL." ({client} {effect}).',
    fixes: [
      'Configure the EWS URLs of the domain (in autodisco: exchange.ews.external and exchange.ews.internal; on Exchange: Set-WebServicesVirtualDirectory -ExternalUrl / -InternalUrl).',
    ],
    references: ['EWS Managed API, ExchangeService.GetEwsUrlFromResponse (docs/lookups.md)', 'docs/protocol.md §4.4'],
  },
  CONFIG_OVER_PLAIN_HTTP: {
    severity: 'error',
    title: 'The mail settings for {domain} come over plain HTTP from {url}',
    when: 'The settings the client used were answered on an http:// URL (autoconfig, or an Autodiscover answer) and no https:// candidate answered with settings before it. Anyone on the network path can rewrite the answer and send the client, with its password, to a server of their choosing.',
    detail:
      '{client} took its settings from {url}, over plain HTTP, after the HTTPS candidates failed ({httpsTried}). Nothing protects this answer: a hotspot, a compromised router or anyone on the path can replace the servers in it, and the client then logs in there with the password. Researchers found this configuration-over-HTTP weakness widespread (NDSS 2025, docs/findings-research.md).',
    fixes: [
      'Serve the same file over HTTPS at {httpsUrl} with a certificate naming {host}, so the client finds it there first.',
      'Then stop answering it on http:// (or answer only a redirect to https://): clients that still ask over HTTP then find nothing to trust.',
    ],
    references: ['Thunderbird autoconfig: config-v1.1.xml over https before http (docs/protocol.md §6.2)', NDSS_2025],
  },
  PLAINTEXT_PASSWORD_LOGIN: {
    severity: 'error',
    title: '{protocol} on {server} takes the password {how}',
    when: 'The settings offer IMAP, POP3 or SMTP without TLS (Encryption None, SSL off, socketType plain) or with TLS only if available (Encryption Auto), and with password authentication (autoconfig password-cleartext or password-encrypted, or POX AuthRequired without a non-password method).',
    detail:
      'The settings from {url} tell the client to connect to {server}:{port} for {protocol} {transport}, and to log in with {authentication}. The password (or, with challenge-response, a hash that can be cracked offline) then crosses the network readable by anyone on the path. {stripNote}',
    fixes: [
      'Offer {protocol} with implicit TLS ({tlsPort}) or required STARTTLS, and publish that in the settings (autodisco: security: tls, or starttls).',
      'Refuse logins on the unencrypted port ({server}:{port}) once clients use the TLS one.',
    ],
    references: ['RFC 8314 (cleartext considered obsolete: use TLS for mail submission and access)', NDSS_2025],
  },
  SETTINGS_HOST_DANGLING: {
    severity: 'error',
    title: 'The settings point at {host}, which does not exist, in another organisation’s domain {hostDomain}',
    when: 'A host the client is sent to (a URL or server in the settings, a redirect or SRV target) lies under another registrable domain than the address and than the Autodiscover server that answered, and DNS says the name does not exist (NXDOMAIN or no address). Such a name is stale and possibly hijackable: whoever registers that domain or takes over that name receives the clients, and their passwords. A foreign host that resolves (a provider serving its customers) is normal and not flagged.',
    detail:
      '{source} sends clients of {email} to {host} ({what}). {host} is under {hostDomain}, neither {domain} nor the domain of the server that answered ({answerDomain}), and DNS answered that it does not exist. If {hostDomain} lapsed or the provider gave the name up, anyone who registers it receives these connections.',
    fixes: [
      'Change the settings to a host you control or your current provider runs (replace {host}).',
      'If the provider still serves you under another name, ask for it and update the settings; if {hostDomain} is yours, renew it and publish {host}.',
    ],
    references: [NDSS_2025, 'RFC 2308 (NXDOMAIN: the name does not exist)'],
  },
  MIXED_ANSWERS: {
    severity: 'warning',
    title: 'Autoconfig and Autodiscover hand out different servers for {email}',
    when: 'For the same address, the autoconfig answer (Thunderbird and the clients that read config-v1.1.xml) and the Autodiscover answer (Outlook, phones) name different IMAP, POP3 or SMTP servers. Needs lookups that recorded both answers: `discover --client all` and an audit with Thunderbird and an Outlook or ActiveSync client compare them; a single lookup stops at its first answer. One of the two is usually stale (a migration that updated only one), and users of one client family end up on the old server.',
    detail:
      'The autoconfig answer from {autoconfigUrl} and the Autodiscover answer from {autodiscoverUrl} disagree: {differences}.',
    fixes: [
      'Decide which servers are current and publish the same ones in both answers (autodisco serves both from one store, so they cannot drift).',
      'If one of the two answers is left over from a former provider, remove it (its DNS name and its file).',
    ],
    references: [NDSS_2025, 'docs/protocol.md §6.2 (autoconfig) and §3.3 (POX settings)'],
  },
} as const satisfies Record<string, CatalogueEntry>;

export type FindingCode = keyof typeof FINDINGS;

/** Codes that existed once; never give them a new meaning. */
export const RETIRED_FINDING_CODES: readonly string[] = [];

/** Fills {placeholders}; an unknown placeholder is left visible rather than silently dropped. */
export function fillTemplate(template: string, vars: Readonly<Record<string, string | number | undefined>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    return value === undefined ? whole : String(value);
  });
}
