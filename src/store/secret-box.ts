/**
 * Database passwords at rest: AES-256-GCM with a 32-byte key from `SLUICE_SECRET_KEY` (64 hex digits or
 * base64 of 32 bytes; any other text is hashed to a key), from the file `SLUICE_SECRET_KEY_FILE` names (e.g. a
 * mounted secret, kept apart from the data directory and its backups; created with mode 0600 when missing), or
 * from `<data-dir>/secret.key`, generated with mode 0600 on first use. Sealed values look like
 * `v1:<iv>:<tag>:<ciphertext>` (base64).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SluiceError } from '../errors.js';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The key from the environment, or the data dir's key file (created when missing). */
  static open(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
    const fromEnv = env['SLUICE_SECRET_KEY'];
    if (fromEnv) return new SecretBox(keyFromText(fromEnv));
    const file = env['SLUICE_SECRET_KEY_FILE'] || join(dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    try {
      chmodSync(file, 0o600);
    } catch {
      /* a read-only mounted secret: its mode is the mount's business */
    }
    const text = readFileSync(file, 'utf8').trim();
    if (!text) throw new SluiceError('BAD_CONFIG', `the secret key file ${file} is empty`, 'put the key (base64 of 32 random bytes) in it, or remove it to have one generated');
    return new SecretBox(keyFromText(text));
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('SecretBox key must be 32 bytes');
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
  }

  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split(':');
    if (v !== 'v1' || iv === undefined || tag === undefined || ct === undefined) throw badKey();
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
    } catch {
      throw badKey();
    }
  }
}

function keyFromText(text: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'base64');
  if (b.length === 32 && /^[A-Za-z0-9+/]+=*$/.test(text)) return b;
  return createHash('sha256').update(text, 'utf8').digest();
}

function badKey(): SluiceError {
  return new SluiceError('BAD_CONFIG', 'cannot decrypt a stored database password (wrong secret key?)',
    'start sluice serve with the SLUICE_SECRET_KEY (or data-dir secret.key) the passwords were stored with, or re-enter the password');
}
