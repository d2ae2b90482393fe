import { KeyObject, webcrypto } from 'node:crypto';

/** Key algorithms the factory can generate. ECDSA P-256 is the default: an RSA-2048 key takes ~15× longer. */
export type KeyType = 'ecdsa' | 'rsa';

export const DEFAULT_RSA_BITS = 2048;

/**
 * WebCrypto handed to every `@peculiar/x509` call explicitly, so the factory never depends on (or changes) the
 * library's global crypto provider.
 */
export const crypto = webcrypto;

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

type SigningAlgorithm = { name: 'ECDSA'; hash: 'SHA-256' } | { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' };

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function rsaParams(bits: number) {
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: bits,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } as const;
}

/** Generates an extractable key pair (extractable so the private key can be exported as PKCS#8 for node:tls). */
export async function generateKeyPair(keyType: KeyType, rsaBits = DEFAULT_RSA_BITS): Promise<CryptoKeyPair> {
  const params = keyType === 'rsa' ? rsaParams(rsaBits) : ECDSA_P256;
  return (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/**
 * The signature algorithm a key of this type signs with. WebCrypto binds the RSA hash to the key itself, so the
 * `hash` here only matters for ECDSA; it is SHA-256 for both.
 */
export function signingAlgorithm(keyType: KeyType): SigningAlgorithm {
  return keyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', hash: 'SHA-256' };
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form `tls.createSecureContext({ key })` accepts for both types. */
export function privateKeyPem(key: CryptoKey): string {
  const pem = KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' });
  return typeof pem === 'string' ? pem : pem.toString('utf8');
}
