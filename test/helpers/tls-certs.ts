// Test certificates made with the openssl CLI: a CA, server certificates signed by it (with chosen
// subjectAltNames) and a client certificate, as PEM files in a temp dir that is removed on exit.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair { cert: string; key: string }

export interface TestPki {
  dir: string;
  /** PEM file of the CA certificate. */
  ca: string;
  /** A leaf certificate signed by this CA; `san` like `IP:127.0.0.1,DNS:localhost` (omitted: no subjectAltName). */
  leaf(name: string, cn: string, san?: string): CertPair;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.error?.message || ''}`);
}

const serial = (): string => `0x${randomBytes(8).toString('hex')}`;

/** A new CA in its own temp dir (`label` names the CA's subject). */
export function createTestPki(label = 'Sluice Test CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', `/CN=${label}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return {
    dir, ca,
    leaf(name, cn, san) {
      const key = join(dir, `${name}-key.pem`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}-cert.pem`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n${san ? `subjectAltName=${san}\n` : ''}`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-set_serial', serial(), '-out', cert, '-days', '2', '-extfile', ext], dir);
      return { cert, key };
    },
  };
}
