// The TCP proxy of the fault tests closes its sockets with a RST — but a socket whose writing side is shutting down
// (the peer's FIN made Node end it, the shutdown request still pending) cannot be reset: libuv answers EINVAL and
// Node leaves the handle unclosed, so the process spins forever in its exit cleanup (the store-outage test's process
// never exited after its tests passed). A child process closes such a socket the proxy's way and must exit; the same
// child with a plain resetAndDestroy() is the control that shows the hang is real on this Node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

const PROXY = new URL('../../../src/testkit/tcp-proxy.js', import.meta.url).href;

/** A server socket that received FIN is closed right after Node began ending it; whether the child exits in `ms`. */
function exitsWithin(how: 'closeWithReset' | 'resetAndDestroy', ms: number): Promise<boolean> {
  const script = `
    import { createServer, connect } from 'node:net';
    import { closeWithReset } from ${JSON.stringify(PROXY)};
    const srv = createServer((s) => {
      s.on('error', () => undefined);
      // 'end' is emitted first; Node ends the writing side on the next tick: close it just after that.
      s.on('end', () => process.nextTick(() => process.nextTick(() => {
        ${how === 'closeWithReset' ? 'closeWithReset(s);' : 's.resetAndDestroy();'}
        srv.close();
      })));
    });
    srv.listen(0, '127.0.0.1', () => {
      const c = connect(srv.address().port, '127.0.0.1', () => c.end());
      c.on('error', () => undefined);
    });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(false); }, ms);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve(code === 0 && signal === null); });
  });
}

describe('TcpProxy closes sockets without leaving a handle behind', () => {
  it('a socket already ending is closed plainly: the process exits', async () => {
    assert.equal(await exitsWithin('closeWithReset', 10_000), true, 'the process exited');
  });

  it('(control) resetAndDestroy() on it leaves the process spinning at exit on this Node', async () => {
    const exited = await exitsWithin('resetAndDestroy', 3000);
    // Documents the Node/libuv behaviour the proxy works around; should a Node release fix it, this says so.
    if (exited) console.log(`# resetAndDestroy() during a pending shutdown no longer hangs on Node ${process.version}`);
    else assert.equal(exited, false);
  });
});
