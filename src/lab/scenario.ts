/**
 * Lab scenarios: a YAML document describing a small mail-domain world (DNS zones, web hosts with their
 * certificates and answers, an Active Directory with SCP entries) that `startLab` (lab.ts) brings up on loopback.
 *
 * One zod schema is the TypeScript type, the validator and (via `npm run generate`) the published JSON schema
 * schemas/lab-scenario.schema.json. `validateScenario` reports every problem at once, each with its path
 * (`hosts[1].https.certificate.validity`), in the style of src/settings/validate.ts.
 *
 * A scenario, as an admin writes it:
 *
 *   name: website-cert-mismatch
 *   title: The public website answers https://contoso.test with a certificate for www only
 *   email: chris@contoso.test
 *   expect: { outlook: prompt }
 *   dns:
 *     zones:
 *       - origin: contoso.test
 *         records:
 *           - { name: '@', type: A, value: 'host:web' }          # the address the lab gave host "web"
 *           - { name: autodiscover, type: A, value: 'host:exchange' }
 *   hosts:
 *     - name: web
 *       https: { certificate: { names: [www.contoso.test] } }
 *       routes:
 *         - { path: '*', answer: { html: '<h1>Contoso</h1>' } }
 *     - name: exchange
 *       https: { certificate: { names: [autodiscover.contoso.test] } }
 *       http: {}
 *       routes:
 *         - path: '*'
 *           answer: { autodisco: { domains: [{ name: contoso.test, imap: { host: imap.contoso.test } }] } }
 *
 * Answers: `{ autodisco, httpMode? }` (the real server), `{ status, body?, contentType?, headers? }`, `{ html }`,
 * `{ redirect, status? }`, `{ delayMs, then }`, `{ hang: true }`, `{ reset: true }`. Certificates are described by
 * intent: names, issuer (lab | untrusted | self-signed), via (root | intermediate), sendIntermediate, validity
 * (valid | expired | not-yet-valid | expiring), keyType (ecdsa | rsa).
 */
import { parseYamlText } from '../settings/files.js';
import type { Scenario } from './scenario-schema.js';
import { type ValidateScenarioOptions, validateScenario } from './scenario-validate.js';

export { type CertificateSpec, certificateSchema } from './scenario-certificates.js';
export { type DirectorySpec, directorySchema, scpDirectoryOptions } from './scenario-directory.js';
export { type DnsSpec, dnsSchema, type RecordSpec, recordSchema, scenarioZones } from './scenario-dns.js';
export {
  ANSWER_KEYS,
  type AnswerKind,
  type AnswerSpec,
  answerKind,
  answerSchema,
  HOST_REFERENCE,
  type HostSpec,
  hostSchema,
  type ImmediateAnswerSpec,
  type RouteSpec,
  routeSchema,
} from './scenario-hosts.js';
export { type Scenario, type ScenarioInput, scenarioSchema } from './scenario-schema.js';
export { type ValidateScenarioOptions, validateScenario } from './scenario-validate.js';

/** Parses YAML (or JSON) text and validates it. Unparseable text is ADK_ERR_CONFIG_UNREADABLE. */
export function parseScenario(text: string, source: string, options: ValidateScenarioOptions = {}): Scenario {
  return validateScenario(parseYamlText(text, source), source, options);
}
