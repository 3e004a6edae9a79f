// TLS to sources and targets, for real: throwaway MariaDB servers started with certificates made by openssl,
// accounts that REQUIRE SSL / X509, every ssl-mode, certificate verification failures, and a full pipeline
// (snapshot, binlog stream, target writes) over TLS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { connectMysql, tlsStatus } from '../../../src/mysql/connection.js';
import { checkSource, checkTarget } from '../../../src/preflight/preflight.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { SluiceError } from '../../../src/errors.js';
import { createTestPki, type TestPki } from '../../helpers/tls-certs.js';
import { eventually, tableRows } from '../sync-helpers.js';

function tlsArgs(pki: TestPki, cert: { cert: string; key: string }): string[] {
  return [`--ssl-ca=${pki.ca}`, `--ssl-cert=${cert.cert}`, `--ssl-key=${cert.key}`];
}

async function rejected(p: Promise<unknown>): Promise<SluiceError> {
  const err = await p.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${String(err)}`);
  return err;
}

describe('TLS connections (ssl-mode, ssl-ca, ssl-cert, ssl-key in the URL)', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let client: { cert: string; key: string };
  /** Its certificate names IP:127.0.0.1 and DNS:localhost. */
  let source: MariaDbServer;
  /** Its certificate names DNS:localhost only. */
  let target: MariaDbServer;
  /** No TLS at all. */
  let plain: MariaDbServer;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');

  const url = (srv: MariaDbServer, user: string, params: Record<string, string> = {}): string => {
    const q = new URLSearchParams(params).toString();
    return `mysql://${user}:pw@127.0.0.1:${srv.port}/${q ? `?${q}` : ''}`;
  };

  before(async () => {
    pki = createTestPki();
    otherPki = createTestPki('Some Other CA');
    const sourceCert = pki.leaf('source', 'sluice-test-source', 'IP:127.0.0.1,DNS:localhost');
    const targetCert = pki.leaf('target', 'localhost', 'DNS:localhost');
    client = pki.leaf('client', 'sluice-client');
    [source, target, plain] = await Promise.all([
      startMariaDb({ serverId: 31, extraArgs: tlsArgs(pki, sourceCert) }),
      startMariaDb({ serverId: 32, extraArgs: tlsArgs(pki, targetCert) }),
      startMariaDb({ serverId: 33, binlog: false }),
    ]);
    const users = `CREATE USER 'tls'@'%' IDENTIFIED BY 'pw' REQUIRE SSL; GRANT ALL PRIVILEGES ON *.* TO 'tls'@'%';
      CREATE USER 'x509'@'%' IDENTIFIED BY 'pw' REQUIRE X509; GRANT ALL PRIVILEGES ON *.* TO 'x509'@'%';`;
    await Promise.all([source.query(users), target.query(users),
      plain.query("CREATE USER 'plain'@'%' IDENTIFIED BY 'pw'; GRANT ALL PRIVILEGES ON *.* TO 'plain'@'%'")]);
    await source.query(`CREATE DATABASE app; CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(40));
      INSERT INTO app.items SELECT seq, CONCAT('item ', seq) FROM app.seq_1_to_200;`);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop(), plain?.stop()]);
  });

  it('the servers really have TLS on (have_ssl=YES), the plain one not', async () => {
    for (const srv of [source, target]) {
      const rows = await srv.query<RowDataPacket[]>("SHOW GLOBAL VARIABLES LIKE 'have_ssl'");
      assert.equal(rows[0]?.['Value'], 'YES');
    }
    const rows = await plain.query<RowDataPacket[]>("SHOW GLOBAL VARIABLES LIKE 'have_ssl'");
    assert.notEqual(rows[0]?.['Value'], 'YES');
  });

  it('an account that REQUIREs SSL is refused without ssl-mode, and the error says to add it', async () => {
    const results = await checkSource(url(source, 'tls'));
    const first = results[0]!;
    assert.equal(first.ok, false);
    assert.equal(first.code, 'ACCESS_DENIED');
    assert.match(first.what, /Access denied/);
    assert.match(first.what, /not encrypted.*ssl-mode=REQUIRED/);
    const target1 = await checkTarget({ type: 'mysql', url: url(target, 'tls'), checkpointDatabase: '_sluice' });
    assert.equal(target1[0]?.ok, false);
    assert.match(target1[0]!.what, /ssl-mode=REQUIRED/);
  });

  it('ssl-mode=REQUIRED encrypts (Ssl_cipher set) without verifying the certificate', async () => {
    const conn = await connectMysql(url(source, 'tls', { 'ssl-mode': 'REQUIRED' }));
    try {
      const [rows] = await conn.query<RowDataPacket[]>("SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')");
      const status = Object.fromEntries(rows.map((r) => [String(r['Variable_name']), String(r['Value'])]));
      assert.ok(status['Ssl_cipher'], `Ssl_cipher is set: ${JSON.stringify(status)}`);
      assert.match(status['Ssl_version'] ?? '', /^TLSv1\.[23]$/);
      const st = tlsStatus(conn);
      assert.equal(st.encrypted, true);
      assert.equal(st.verified, 'none');
      assert.equal(st.protocol, status['Ssl_version']);
      assert.match(st.text, /^TLS: TLSv1\.[23] \(.+\), server certificate not verified$/);
    } finally {
      await conn.end();
    }
  });

  it('VERIFY_CA: the right CA passes (host name not checked), a wrong CA fails with TLS_FAILED', async () => {
    // The target's certificate names only "localhost": VERIFY_CA to 127.0.0.1 still passes.
    const conn = await connectMysql(url(target, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': pki.ca }));
    try {
      assert.equal(tlsStatus(conn).verified, 'ca');
      const [rows] = await conn.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      assert.ok(rows[0]?.['Value']);
    } finally {
      await conn.end();
    }
    // ssl-ca alone means VERIFY_CA, as with the mysql client.
    const implied = await connectMysql(url(target, 'tls', { 'ssl-ca': pki.ca }));
    assert.equal(tlsStatus(implied).verified, 'ca');
    await implied.end();

    const err = await rejected(connectMysql(url(target, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': otherPki.ca })));
    assert.equal(err.code, 'TLS_FAILED');
    assert.match(err.message, /TLS handshake with 127\.0\.0\.1:\d+ failed \(ssl-mode=VERIFY_CA\)/);
    assert.match(err.fix, /not signed by the CA in ssl-ca/);
    // Without ssl-ca, the CAs Node.js trusts do not include ours.
    const noCa = await rejected(connectMysql(url(target, 'tls', { 'ssl-mode': 'VERIFY_CA' })));
    assert.equal(noCa.code, 'TLS_FAILED');
    assert.match(noCa.fix, /set ssl-ca=/);
    // The check that `sluice check` and "test connection" run reports it the same way, not as retryable.
    const results = await checkTarget({ type: 'mysql', url: url(target, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': otherPki.ca }), checkpointDatabase: '_sluice' });
    assert.equal(results[0]?.code, 'TLS_FAILED');
    assert.equal(results[0]?.transient, false);
  });

  it('VERIFY_IDENTITY: a certificate without the IP fails; one with IP:127.0.0.1 passes', async () => {
    const err = await rejected(connectMysql(url(target, 'tls', { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': pki.ca })));
    assert.equal(err.code, 'TLS_FAILED');
    assert.match(err.message, /127\.0\.0\.1/);
    assert.match(err.fix, /does not name '127\.0\.0\.1'.*VERIFY_CA/);
    const conn = await connectMysql(url(source, 'tls', { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': pki.ca }));
    try {
      const st = tlsStatus(conn);
      assert.equal(st.verified, 'identity');
      assert.match(st.text, /server certificate verified \(CA and host name\)/);
    } finally {
      await conn.end();
    }
  });

  it('a client certificate (ssl-cert, ssl-key) for an account that REQUIREs X509', async () => {
    const without = await connectMysql(url(source, 'x509', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': pki.ca })).then(() => null, (e: unknown) => e);
    assert.equal((without as { errno?: number } | null)?.errno, 1045, 'refused without a client certificate');
    const conn = await connectMysql(url(source, 'x509', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': pki.ca, 'ssl-cert': client.cert, 'ssl-key': client.key }));
    const [rows] = await conn.query<RowDataPacket[]>('SELECT CURRENT_USER() AS u');
    assert.equal(rows[0]?.['u'], 'x509@%');
    await conn.end();
  });

  it('PREFERRED encrypts when the server offers TLS and falls back to plaintext when not; REQUIRED does not', async () => {
    const enc = await connectMysql(url(source, 'tls', { 'ssl-mode': 'PREFERRED' }));
    assert.equal(tlsStatus(enc).encrypted, true);
    await enc.end();
    const clear = await connectMysql(url(plain, 'plain', { 'ssl-mode': 'PREFERRED' }));
    assert.equal(tlsStatus(clear).encrypted, false);
    const [rows] = await clear.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    assert.equal(rows[0]?.['Value'] ?? '', '');
    await clear.end();
    const err = await rejected(connectMysql(url(plain, 'plain', { 'ssl-mode': 'REQUIRED' })));
    assert.equal(err.code, 'TLS_FAILED');
    assert.match(err.message, /does not support TLS/);
    // Plaintext without ssl-mode, as before: the test connection says so.
    const results = await checkTarget({ type: 'mysql', url: url(plain, 'plain'), checkpointDatabase: '_sluice' });
    assert.ok(results.some((r) => r.ok && r.what === 'TLS: not encrypted'), JSON.stringify(results));
  });

  it('a missing ssl-ca file is BAD_CONFIG naming the parameter', async () => {
    const err = await rejected(connectMysql(url(source, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': '/nonexistent/ca.pem' })));
    assert.equal(err.code, 'BAD_CONFIG');
    assert.match(err.message, /ssl-ca file '\/nonexistent\/ca\.pem' \(ENOENT\)/);
    assert.match(err.fix, /set ssl-ca in the URL/);
    const results = await checkSource(url(source, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': '/nonexistent/ca.pem' }));
    assert.equal(results[0]?.code, 'BAD_CONFIG');
  });

  it('sluice check / test connection report the TLS state of source and target', async () => {
    const src = await checkSource(url(source, 'tls', { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': pki.ca }));
    assert.ok(src.every((r) => r.ok), JSON.stringify(src));
    assert.ok(src.some((r) => /^TLS: TLSv1\.[23] .*verified \(CA and host name\)$/.test(r.what)), JSON.stringify(src));
    const tgt = await checkTarget({ type: 'mysql', url: url(target, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': pki.ca }), checkpointDatabase: '_sluice' });
    assert.ok(tgt.every((r) => r.ok), JSON.stringify(tgt));
    assert.ok(tgt.some((r) => /^TLS: TLSv1\.[23] .*verified \(CA only, host name not checked\)$/.test(r.what)), JSON.stringify(tgt));
  });

  it('a pipeline snapshots and streams over TLS, source and target (accounts that REQUIRE SSL)', async () => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mariadb', url: url(source, 'tls', { 'ssl-mode': 'VERIFY_IDENTITY', 'ssl-ca': pki.ca }) } },
      targets: { t: { type: 'mariadb', url: url(target, 'tls', { 'ssl-mode': 'VERIFY_CA', 'ssl-ca': pki.ca }) } },
      pipelines: [{ name: 'tls-sync', source: 's', target: 't', tables: ['app.*'], targetDatabase: 'copy' }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources['s']!, target: cfg.targets['t']!, logger: log });
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    const same = async (): Promise<boolean> => {
      const [a, b] = await Promise.all([tableRows(source, 'app', 'items'), tableRows(target, 'copy', 'items')]);
      return a.length === b.length && a.every((r, i) => r === b[i]);
    };
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed', 60_000, 'pipeline streaming');
      assert.equal(p.stats.status, 'streaming', `pipeline state: ${String(p.stats.status)}`);
      await eventually(same, 30_000, 'the snapshot of app.items on the target');
      assert.equal((await tableRows(target, 'copy', 'items')).length, 200);
      await source.query("INSERT INTO app.items VALUES (1000, 'streamed over TLS'); UPDATE app.items SET name = 'changed' WHERE id = 7");
      await eventually(same, 30_000, 'the streamed insert and update on the target');
      // The binlog dump runs as the REQUIRE SSL account: the server would not have let it in without TLS.
      const dumps = await source.query<RowDataPacket[]>("SELECT USER AS u FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
      // (A dump thread of the check above may still be closing: it ran as the same account.)
      assert.ok(dumps.length >= 1 && dumps.every((r) => r['u'] === 'tls'), JSON.stringify(dumps));
      const writers = await target.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'tls'");
      assert.ok(Number(writers[0]?.['n']) >= 1, 'the target connection is the REQUIRE SSL account');
    } finally {
      ctl.abort();
      const err = await run;
      assert.equal(err, null, `the pipeline ended cleanly: ${String(err)}`);
    }
  });
});
