/** Certificate authorities for test PKIs: a self-signed root and intermediates under it (or under each other). */
import type { X509Certificate } from 'node:crypto';
import { nodeCertificate, pemOf, randomSerial, subjectName } from './build.js';
import { type CryptoKey, crypto, generateKeyPair, type KeyType, privateKeyPem, signingAlgorithm } from './keys.js';
import { type ValidityOptions, validityWindow } from './validity.js';
import * as x509 from './x509.js';

export interface AuthorityOptions extends ValidityOptions {
  /** Common name of the CA, e.g. "Contoso Test Root CA". */
  name: string;
  /** Adds an O= attribute to the subject. */
  organization?: string;
  /** Default `'ecdsa'` (P-256). */
  keyType?: KeyType;
  /** basicConstraints pathLenConstraint; absent means unlimited. */
  pathLength?: number;
}

export interface IntermediateOptions extends AuthorityOptions {
  /** AIA caIssuers URL placed in the intermediate (where a client could download its issuer). */
  caIssuersUrl?: string;
}

export interface Authority {
  readonly kind: 'root' | 'intermediate';
  readonly name: string;
  readonly keyType: KeyType;
  /** The certificate as `@peculiar/x509` sees it (extensions as objects). */
  readonly certificate: x509.X509Certificate;
  /** The certificate as node:crypto sees it (what node:tls and src/tls work with). */
  readonly x509: X509Certificate;
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  /**
   * What a server must send above a leaf this authority issued: this certificate when it is an intermediate, then
   * its parents' up to but excluding the root. Empty for a root.
   */
  readonly chainPem: string;
  readonly parent: Authority | null;
  /** The self-signed root at the top (the authority itself for a root): the certificate a client must trust. */
  readonly root: Authority;
  /** Private key that signs what this authority issues. */
  readonly signingKey: CryptoKey;
}

/** CA validity defaults to ten years: long enough to outlive any leaf a test issues. */
const CA_DAYS = 3650;

function caExtensions(pathLength: number | undefined): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/** Creates a self-signed root CA. Trust it by giving its `certPem` to a client's `ca`; leave it out to get an untrusted root. */
export async function createAuthority(options: AuthorityOptions): Promise<Authority> {
  const keyType = options.keyType ?? 'ecdsa';
  const keys = await generateKeyPair(keyType);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: subjectName(options.name, options.organization).name,
      keys,
      signingAlgorithm: signingAlgorithm(keyType),
      ...validityWindow(options, CA_DAYS),
      extensions: [
        ...caExtensions(options.pathLength),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const authority: Authority = {
    kind: 'root',
    name: options.name,
    keyType,
    certificate,
    x509: nodeCertificate(certificate),
    certPem: pemOf(certificate),
    keyPem: privateKeyPem(keys.privateKey),
    chainPem: '',
    parent: null,
    get root() {
      return authority;
    },
    signingKey: keys.privateKey,
  };
  return authority;
}

/** Creates an intermediate CA signed by `parent` (a root or another intermediate). */
export async function createIntermediate(parent: Authority, options: IntermediateOptions): Promise<Authority> {
  const keyType = options.keyType ?? 'ecdsa';
  const keys = await generateKeyPair(keyType);
  const extensions = [
    ...caExtensions(options.pathLength),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    await x509.AuthorityKeyIdentifierExtension.create(parent.certificate, false, crypto),
  ];
  if (options.caIssuersUrl !== undefined) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ caIssuers: options.caIssuersUrl }));
  }
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: subjectName(options.name, options.organization).name,
      issuer: parent.certificate.subjectName,
      publicKey: keys.publicKey,
      signingKey: parent.signingKey,
      // The parent's key decides the signature algorithm, whatever this CA's own key type is.
      signingAlgorithm: signingAlgorithm(parent.keyType),
      ...validityWindow(options, CA_DAYS),
      extensions,
    },
    crypto,
  );
  const certPem = pemOf(certificate);
  return {
    kind: 'intermediate',
    name: options.name,
    keyType,
    certificate,
    x509: nodeCertificate(certificate),
    certPem,
    keyPem: privateKeyPem(keys.privateKey),
    chainPem: certPem + parent.chainPem,
    parent,
    root: parent.root,
    signingKey: keys.privateKey,
  };
}
