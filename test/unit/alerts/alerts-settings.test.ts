// Alert settings (layers, SMTP URLs, PUT changes, redaction) and the purge-risk rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertSettingsFromEnv, mergeAlertSettings, parseSmtpUrl, publicAlertSettings } from '../../../src/config/alert-settings.js';
import { applyChange } from '../../../src/server/routes/alert-routes.js';
import { purgeRisk } from '../../../src/alerts/engine.js';

describe('alert settings', () => {
  it('SMTP URLs: smtp (STARTTLS, 587) and smtps (465), credentials decoded', () => {
    assert.deepEqual(parseSmtpUrl('smtp://u%40x:p%3Aw@mail.example.com'), { host: 'mail.example.com', port: 587, secure: false, user: 'u@x', password: 'p:w' });
    assert.deepEqual(parseSmtpUrl('smtps://mail.example.com?to=a@b.c,d@e.f'), { host: 'mail.example.com', port: 465, secure: true, to: ['a@b.c', 'd@e.f'] });
    assert.throws(() => parseSmtpUrl('http://x'), /smtp:\/\//);
  });

  it('layers: defaults < stored < environment/flags (flags win over environment variables)', () => {
    const env = alertSettingsFromEnv({ SLUICE_SMTP_URL: 'smtp://u:pw@h:2525', SLUICE_ALERT_EMAIL_TO: 'a@b.c', SLUICE_ALERT_LAG_SECONDS: '5', SLUICE_ALERT_WEBHOOK: 'https://env/hook' },
      { webhook: 'https://flag.example/hook/secret', lagForSeconds: '7' });
    const s = mergeAlertSettings({ lagSeconds: 99, purgeWarnFiles: 3, smtp: { from: 'me@x.y' } }, env);
    assert.equal(s.webhookUrl, 'https://flag.example/hook/secret');
    assert.deepEqual([s.lagSeconds, s.lagForSeconds, s.purgeWarnFiles], [5, 7, 3]);
    assert.deepEqual(s.smtp, { host: 'h', port: 2525, secure: false, user: 'u', password: 'pw', from: 'me@x.y', to: ['a@b.c'] });
    const pub = publicAlertSettings(s);
    assert.equal(pub.webhookUrl, 'https://flag.example/…');
    assert.equal(pub.smtp?.password, '***');
    assert.ok(!JSON.stringify(pub).includes('secret') && !JSON.stringify(pub).includes('"pw"'));
    assert.equal(mergeAlertSettings({ smtp: { host: 'h' } }).smtp, null, 'no recipients: no e-mail channel');
    assert.throws(() => alertSettingsFromEnv({ SLUICE_ALERT_LAG_SECONDS: 'soon' }), /invalid/);
  });

  it('PUT changes: *** keeps the password, the redacted webhook keeps the URL, null clears', () => {
    const stored = { webhookUrl: 'https://h/x/y', smtp: { host: 'h', password: 'old', to: ['a@b.c'] } };
    const kept = applyChange(stored, { webhookUrl: 'https://h/…', smtp: { password: '***', port: 25 } });
    assert.deepEqual(kept, { webhookUrl: 'https://h/x/y', smtp: { host: 'h', password: 'old', to: ['a@b.c'], port: 25 } });
    assert.deepEqual(applyChange(stored, { webhookUrl: null, smtp: null }), {});
    assert.throws(() => applyChange({}, { smtp: { to: ['not-an-address'] } }), /e-mail/);
    assert.throws(() => applyChange({}, { webhookUrl: 'ftp://x' }), /http/);
    assert.throws(() => applyChange({}, { lagForSeconds: -1 }), /≥ 0/);
  });
});

describe('purge risk', () => {
  const b = { file: 'bin.000005', files: ['bin.000003', 'bin.000004', 'bin.000005'].map((name) => ({ name })) };
  it('oldest file, within N files, the active file, already purged', () => {
    assert.deepEqual(purgeRisk('bin.000003', b, 0), { file: 'bin.000003', oldest: 'bin.000003', count: 0, gone: false });
    assert.equal(purgeRisk('bin.000004', b, 0), null);
    assert.deepEqual(purgeRisk('bin.000004', b, 1)?.count, 1);
    assert.equal(purgeRisk('bin.000005', b, 5), null, 'the active file is never purged');
    assert.equal(purgeRisk('bin.000002', b, 0)?.gone, true);
    assert.equal(purgeRisk('bin.000009', b, 0), null);
  });
});
