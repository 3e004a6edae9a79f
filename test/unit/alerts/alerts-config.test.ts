// The `alerts:` section of the config file: parsing with ${ENV}, validation errors with key path and fix,
// redaction, the layer order (store < config file < environment/flags), PUT /api/alerts refusing changes to
// fields the config file or the command line set, and the alerts section of the config export.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, redactConfig } from '../../../src/config/index.js';
import { SluiceError } from '../../../src/errors.js';
import { alertSettingsFromEnv, fieldsOf, mergeAlertSettings } from '../../../src/config/alert-settings.js';
import { applyChange, withoutLocked } from '../../../src/server/routes/alert-routes.js';
import { HttpError } from '../../../src/server/http-error.js';
import { Store, alertsSection, exportConfigText, importConfig } from '../../../src/store/index.js';

const BASE = `
sources:
  src: { type: mysql, url: "mysql://repl:pw@db1:3306" }
targets:
  tgt: { type: mysql, url: "mysql://app:pw@db2:3306" }
pipelines:
  - { name: p1, source: src, target: tgt, tables: ["shop.*"] }
`;
const HOOK = 'https://hooks.slack.com/services/T000/B000/hook-secret-xyz';
const SMTP_PW = 'sm:tp/p@ss#1';
const ENV = { HOOK, SMTP_PW };

function problemsOf(text: string, env: Record<string, string> = ENV): Array<{ path: string; message: string; fix: string }> {
  try {
    parseConfig(BASE + text, { env });
  } catch (err) {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'BAD_CONFIG');
    for (const secret of [HOOK, SMTP_PW]) assert.ok(!err.message.includes(secret) && !JSON.stringify(err.details).includes(secret));
    return err.details['problems'] as Array<{ path: string; message: string; fix: string }>;
  }
  assert.fail('expected BAD_CONFIG');
}

describe('alerts: in the config file', () => {
  it('parses, with ${ENV} for the webhook and the SMTP password (percent-encoded inside the SMTP URL)', () => {
    const cfg = parseConfig(`${BASE}
alerts:
  webhook: \${HOOK}
  email:
    smtp: smtp://alerts:\${SMTP_PW}@smtp.example.com:2525
    to: "ops@example.com, oncall@example.com"
    from: sluice@example.com
  lagSeconds: 30
  lagForSeconds: 90
  purgeWarnFiles: 2
`, { env: ENV });
    assert.deepEqual(cfg.alerts, {
      webhookUrl: HOOK,
      smtp: { host: 'smtp.example.com', port: 2525, secure: false, user: 'alerts', password: SMTP_PW, to: ['ops@example.com', 'oncall@example.com'], from: 'sluice@example.com' },
      lagSeconds: 30, lagForSeconds: 90, purgeWarnFiles: 2,
    });
    // Only what the file writes is set; a list works for `to`; smtps → 465, TLS.
    const small = parseConfig(`${BASE}alerts: { email: { smtp: "smtps://mail.example.com", to: [a@b.c] } }\n`, { env: {} });
    assert.deepEqual(small.alerts, { smtp: { host: 'mail.example.com', port: 465, secure: true, to: ['a@b.c'] } });
    assert.deepEqual(fieldsOf(small.alerts!), ['smtp.host', 'smtp.port', 'smtp.secure', 'smtp.to']);
    assert.equal(parseConfig(BASE, { env: {} }).alerts, undefined);
    // Nothing secret when the config is logged or printed.
    const shown = [JSON.stringify(cfg), String(cfg), inspect(cfg, { depth: 9 }), JSON.stringify(redactConfig(cfg))];
    for (const text of shown) assert.ok(!text.includes('hook-secret-xyz') && !text.includes(SMTP_PW), text);
    assert.equal(redactConfig(cfg).alerts?.smtp?.password, '***');
  });

  it('errors name the key, the cause and the fix (same rules as flags and PUT /api/alerts)', () => {
    const p1 = problemsOf('alerts:\n  webhook: ftp://example.com/x\n');
    assert.deepEqual(p1.map((p) => p.path), ['alerts.webhook']);
    assert.match(p1[0]!.message, /http\(s\)/);
    assert.match(p1[0]!.fix, /incoming webhook/);
    const p2 = problemsOf('alerts:\n  email: { smtp: "http://mail.example.com", to: "ops@example.com, nope" }\n');
    assert.deepEqual(p2.map((p) => p.path), ['alerts.email.smtp', 'alerts.email.to']);
    assert.match(p2[0]!.message, /smtp:\/\/ or smtps:\/\//);
    assert.match(p2[1]!.message, /recipient 2 is not an e-mail address/);
    const p3 = problemsOf('alerts:\n  webhok: x\n  lagSeconds: -1\n  purgeWarnFiles: 1.5\n  email: { to: [ops@example.com], smtpp: x }\n');
    const byPath = new Map(p3.map((p) => [p.path, p]));
    assert.match(byPath.get('alerts.webhok')!.fix, /did you mean 'webhook'/);
    assert.match(byPath.get('alerts.email.smtpp')!.fix, /did you mean 'smtp'/);
    assert.match(byPath.get('alerts.lagSeconds')!.message, /at least 0/);
    assert.ok(byPath.has('alerts.purgeWarnFiles'));
    const p4 = problemsOf('alerts:\n  webhook: ${NOT_SET_HOOK}\n');
    assert.ok(p4.every((p) => p.path === 'alerts.webhook'));
    assert.ok(p4.some((p) => /NOT_SET_HOOK is not set/.test(p.message)));
    assert.deepEqual(problemsOf('alerts:\n  email: {}\n').map((p) => p.path), ['alerts.email']);
    const p5 = problemsOf('alerts:\n  email: { to: 5 }\n');
    assert.deepEqual(p5.map((p) => p.path), ['alerts.email.to']);
  });

  it('layers: defaults < store < config file < environment/flags', () => {
    const stored = { webhookUrl: 'https://stored/x', lagSeconds: 1, lagForSeconds: 2, purgeWarnFiles: 3, smtp: { host: 'stored-host', to: ['s@x.y'] } };
    const config = parseConfig(`${BASE}alerts: { webhook: "https://config/x", lagSeconds: 10, email: { smtp: "smtp://c@config-host:25", to: [c@x.y] } }\n`, { env: {} }).alerts!;
    const env = alertSettingsFromEnv({ SLUICE_ALERT_LAG_SECONDS: '100', SLUICE_ALERT_EMAIL_TO: 'e@x.y' });
    const s = mergeAlertSettings(stored, config, env);
    assert.equal(s.webhookUrl, 'https://config/x');
    assert.deepEqual([s.lagSeconds, s.lagForSeconds, s.purgeWarnFiles], [100, 2, 3]);
    assert.deepEqual([s.smtp?.host, s.smtp?.port, s.smtp?.user, s.smtp?.to], ['config-host', 25, 'c', ['e@x.y']]);
  });

  it('PUT /api/alerts: 409 MANAGED_BY_CONFIG for a field the config file or the command line sets; the value in force may be sent back', () => {
    const config = { webhookUrl: HOOK, lagSeconds: 30, smtp: { host: 'mail', port: 587, secure: false, user: 'u', password: 'pw', to: ['a@b.c'] } };
    const env = { lagForSeconds: 60 };
    const refused = (body: Record<string, unknown>): HttpError => {
      try {
        withoutLocked(body, config, env);
      } catch (err) {
        assert.ok(err instanceof HttpError);
        assert.equal(err.status, 409);
        assert.equal(err.code, 'MANAGED_BY_CONFIG');
        return err;
      }
      assert.fail(`expected 409 for ${JSON.stringify(body)}`);
    };
    assert.match(refused({ webhookUrl: 'https://other/x' }).message, /webhookUrl .*--config file/);
    assert.match(refused({ webhookUrl: null }).message, /webhookUrl/);
    assert.match(refused({ lagSeconds: 31, purgeWarnFiles: 2 }).message, /lagSeconds/);
    const envErr = refused({ lagForSeconds: 61 });
    assert.match(envErr.message, /lagForSeconds set by sluice serve flags or environment variables/);
    assert.match(envErr.fix ?? '', /restart sluice serve/);
    assert.match(refused({ smtp: { to: ['x@y.z'] } }).message, /smtp\.to/);
    assert.match(refused({ smtp: { password: 'new' } }).message, /smtp\.password/);
    assert.match(refused({ smtp: null }).message, /smtp\.host/);
    // What GET shows (redacted webhook, *** password) and the values in force pass; they are not stored again.
    assert.deepEqual(withoutLocked({ webhookUrl: 'https://hooks.slack.com/…', lagSeconds: 30, lagForSeconds: 60, purgeWarnFiles: 2,
      smtp: { host: 'mail', password: '***', to: 'a@b.c', from: 'me@x.y' } }, config, env), { purgeWarnFiles: 2, smtp: { from: 'me@x.y' } });
    assert.deepEqual(applyChange({}, withoutLocked({ smtp: { host: 'mail', from: 'me@x.y' } }, config, env)), { smtp: { from: 'me@x.y' } });
    // Nothing locked: everything passes as before.
    assert.deepEqual(withoutLocked({ webhookUrl: null, smtp: null }, {}, {}), { webhookUrl: null, smtp: null });
  });

  it('config export: the alert settings in force, the webhook and SMTP password as ${ENV} references; it loads back', async () => {
    const s = mergeAlertSettings({ lagSeconds: 45 }, { webhookUrl: HOOK, smtp: { host: 'mail.example.com', port: 587, secure: false, user: 'al@rts', password: SMTP_PW, to: ['a@b.c', 'd@e.f'] } });
    const section = alertsSection(s, ['lagSeconds', 'webhookUrl', 'smtp.host', 'smtp.port', 'smtp.secure', 'smtp.user', 'smtp.password', 'smtp.to']);
    assert.deepEqual(section, {
      webhook: '${SLUICE_ALERT_WEBHOOK}',
      email: { smtp: 'smtp://al%40rts:${SLUICE_SMTP_PASSWORD}@mail.example.com:587', to: ['a@b.c', 'd@e.f'] },
      lagSeconds: 45,
    });
    assert.equal(alertsSection(mergeAlertSettings(), []), undefined, 'defaults only: no alerts section');

    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-alert-export-'));
    const store = await Store.open({ dataDir: dataDir });
    try {
      await importConfig(store, parseConfig(BASE, { env: {} }));
      const env = { SLUICE_ALERT_WEBHOOK: HOOK, SLUICE_SMTP_PASSWORD: SMTP_PW, SLUICE_SOURCE_SRC_PASSWORD: 'pw', SLUICE_TARGET_TGT_PASSWORD: 'pw' };
      for (const format of ['yaml', 'json'] as const) {
        const text = await exportConfigText(store, format, { alerts: section });
        assert.ok(!text.includes('hook-secret-xyz') && !text.includes(SMTP_PW));
        if (format === 'yaml') assert.match(text, /SLUICE_ALERT_WEBHOOK and SLUICE_SMTP_PASSWORD/);
        const back = parseConfig(text, { env, format });
        assert.deepEqual(mergeAlertSettings(back.alerts!), { ...s, smtp: { ...s.smtp!, from: 'sluice@mail.example.com' } });
      }
      assert.ok(!(await exportConfigText(store, 'yaml')).includes('alerts'));
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
