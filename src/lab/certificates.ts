/**
 * The lab's PKI and the certificates of its hosts: scenario certificate intents (scenario-certificates.ts) turned
 * into real certificates and TLS contexts. One PKI per lab: the trusted root (handed to clients as the lab's CA
 * file) with an intermediate under it, and an untrusted root with its own intermediate, never handed to anyone.
 */
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  type Authority,
  createAuthority,
  createIntermediate,
  type IssuedCertificate,
  issueCertificate,
} from '../pki/index.js';
import type { CertificateSpec } from './scenario.js';

export const LAB_ROOT_NAME = 'autodisco lab root';

export interface LabPki {
  labRoot: Authority;
  labIntermediate: Authority;
  untrustedRoot: Authority;
  untrustedIntermediate: Authority;
}

const DAY = 86_400_000;

export async function createPki(now: Date | undefined): Promise<LabPki> {
  const at = now === undefined ? {} : { now };
  const labRoot = await createAuthority({ name: LAB_ROOT_NAME, organization: 'autodisco lab', ...at });
  const untrustedRoot = await createAuthority({
    name: 'autodisco untrusted root',
    organization: 'autodisco lab',
    ...at,
  });
  return {
    labRoot,
    labIntermediate: await createIntermediate(labRoot, {
      name: 'autodisco lab intermediate',
      organization: 'autodisco lab',
      ...at,
    }),
    untrustedRoot,
    untrustedIntermediate: await createIntermediate(untrustedRoot, {
      name: 'autodisco untrusted intermediate',
      organization: 'autodisco lab',
      ...at,
    }),
  };
}

export interface ServedCertificate {
  issued: IssuedCertificate;
  context: SecureContext;
  /** What the server sends: the leaf, plus the intermediate when `sendIntermediate`. */
  certPem: string;
  keyPem: string;
}

export async function issueFor(spec: CertificateSpec, pki: LabPki, now: Date | undefined): Promise<ServedCertificate> {
  const issuer =
    spec.issuer === 'self-signed'
      ? ('self-signed' as const)
      : spec.issuer === 'lab'
        ? spec.via === 'root'
          ? pki.labRoot
          : pki.labIntermediate
        : spec.via === 'root'
          ? pki.untrustedRoot
          : pki.untrustedIntermediate;
  const reference = now ?? new Date();
  const window =
    spec.validity === 'expiring'
      ? {
          notBefore: new Date(reference.getTime() - 83 * DAY),
          notAfter: new Date(reference.getTime() + 7 * DAY),
        }
      : { validity: spec.validity };
  const issued = await issueCertificate({
    issuer,
    dnsNames: spec.names.filter((n) => isIP(n) === 0),
    ipAddresses: spec.names.filter((n) => isIP(n) !== 0),
    ...(spec.commonName === undefined ? {} : { commonName: spec.commonName }),
    keyType: spec.keyType,
    ...window,
    ...(now === undefined ? {} : { now }),
  });
  const certPem = spec.sendIntermediate ? issued.fullChainPem : issued.certPem;
  return {
    issued,
    certPem,
    keyPem: issued.keyPem,
    context: createSecureContext({ cert: certPem, key: issued.keyPem }),
  };
}
