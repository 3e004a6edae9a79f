/**
 * A TCP proxy for fault injection between Sluice and a server, on loopback:
 * - `cut()`: every open connection is reset at once (RST), as when a server or a middlebox drops it;
 * - `blackhole()`: bytes stop flowing both ways without any reset, and new connections hang
 *   (a partition); `heal()` delivers what was held, as TCP does when a partition ends in time;
 * - `slow(ms)`: each chunk is delayed by `ms`;
 * - `refuse()`: new connections are reset at once (the server looks down), open ones stay.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

type Mode = { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'slow'; ms: number } | { kind: 'refuse' };

interface Pipe {
  client: Socket;
  server: Socket;
  /** Chunks held while black-holed, per direction, in order. */
  held: Array<{ to: Socket; chunk: Buffer }>;
}

export class TcpProxy {
  private server: Server | null = null;
  private readonly pipes = new Set<Pipe>();
  private mode: Mode = { kind: 'pass' };
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(port = 0): Promise<number> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  get state(): string {
    return this.mode.kind === 'slow' ? `slow ${this.mode.ms} ms` : this.mode.kind;
  }

  /** Reset every open connection now. */
  cut(): void {
    for (const p of [...this.pipes]) this.drop(p);
  }

  blackhole(): void {
    this.mode = { kind: 'blackhole' };
  }

  slow(ms: number): void {
    this.mode = { kind: 'slow', ms };
  }

  refuse(): void {
    this.mode = { kind: 'refuse' };
  }

  /** Back to normal; what a black hole held is delivered. */
  heal(): void {
    this.mode = { kind: 'pass' };
    for (const p of this.pipes) {
      const held = p.held.splice(0);
      for (const h of held) if (!h.to.destroyed) h.to.write(h.chunk);
      if (!p.server.connecting && p.server.isPaused()) p.server.resume();
      if (p.client.isPaused()) p.client.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.mode.kind === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const server = connect({ host: this.targetHost, port: this.targetPort });
    server.setNoDelay(true);
    const pipe: Pipe = { client, server, held: [] };
    this.pipes.add(pipe);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        const m = this.mode;
        if (m.kind === 'blackhole' || pipe.held.length > 0) {
          // Keep order: once anything is held, everything after it waits too.
          pipe.held.push({ to, chunk });
          if (m.kind !== 'blackhole') this.flushLater(pipe);
        } else if (m.kind === 'slow') {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            if (!from.destroyed && this.mode.kind !== 'blackhole') from.resume();
          }, m.ms);
        } else if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => { if (this.mode.kind !== 'blackhole') from.resume(); });
        }
      });
    };
    forward(client, server);
    forward(server, client);
    const end = (): void => this.drop(pipe);
    for (const s of [client, server]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  private flushLater(pipe: Pipe): void {
    setImmediate(() => {
      if (this.mode.kind === 'blackhole') return;
      for (const h of pipe.held.splice(0)) if (!h.to.destroyed) h.to.write(h.chunk);
    });
  }

  private drop(p: Pipe): void {
    if (!this.pipes.delete(p)) return;
    p.held = [];
    if (!p.client.destroyed) p.client.resetAndDestroy();
    if (!p.server.destroyed) p.server.resetAndDestroy();
  }
}
