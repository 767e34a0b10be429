/**
 * The hospital's signature on a prescription: its canonical content (types/prescription.ts) signed
 * with the hospital's private key (Ed25519, or RSA with SHA-256), verifiable later by anyone with the
 * public key (`GET RX_KEY_PATH`). A changed card no longer verifies.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PrescriptionContent, RxCard, RxPublicKey, RxSignature } from '../../types/prescription';
import { canonicalPrescription } from '../../types/prescription';

/** Ed25519 signs the message itself; RSA signs its SHA-256. */
const digestOf = (alg: RxSignature['alg']) => (alg === 'ed25519' ? null : 'sha256');

export class RxSigner {
  private readonly key: KeyObject;
  readonly publicKey: RxPublicKey;

  constructor(privateKeyPem: string) {
    this.key = createPrivateKey(privateKeyPem);
    const type = this.key.asymmetricKeyType;
    if (type !== 'ed25519' && type !== 'rsa') throw new Error(`RX_SIGNING_KEY must be an Ed25519 or RSA private key, got ${String(type)}`);
    const pub = createPublicKey(this.key);
    const der = pub.export({ type: 'spki', format: 'der' });
    this.publicKey = {
      alg: type,
      keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
      publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }

  sign(content: PrescriptionContent): RxSignature {
    const { alg, keyId } = this.publicKey;
    return { alg, keyId, value: sign(digestOf(alg), Buffer.from(canonicalPrescription(content)), this.key).toString('base64') };
  }
}

/** Whether a card's signature is the key's over the card's content as it is now. */
export function verifyPrescription(card: Pick<RxCard, 'rx' | 'signature'>, publicKeyPem: string): boolean {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== card.signature.alg) return false;
  return verify(digestOf(card.signature.alg), Buffer.from(canonicalPrescription(card.rx)), key, Buffer.from(card.signature.value, 'base64'));
}

export const newSigningKey = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * RX_SIGNING_KEY (PEM, `\n` allowed for newlines) or, for `npm start`, an Ed25519 key generated once
 * into `file` beside the database so that cards signed before a restart still verify.
 */
export function signingKeyFrom(fromEnv: string | undefined, file: string | undefined): string {
  if (fromEnv) return fromEnv.replace(/\\n/g, '\n');
  if (file === undefined) return newSigningKey();
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, newSigningKey(), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8');
}
