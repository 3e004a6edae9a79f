/**
 * A TCP proxy for fault injection between Sluice and a server, on loopback:
 * - `cut()`: every open connection is reset at once (RST), as when a server or a middlebox drops it;
 * - `blackhole()`: bytes stop flowing both ways without any reset, and new connections hang
 *   (a partition); `heal()` delivers what was held, as TCP does when a partition ends in time;
 * - `slow(ms)`: each chunk is delayed by `ms`;
 * - `refuse()`: new connections are reset at once (the server looks down), open ones stay;
 * - `holdOpen()`: what the clients of the connections open now (or some of them) send stays in the proxy (the
 *   servers' answers still pass, new connections pass both ways) until `heal()`: a request in flight that arrives late.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

type Mode = { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'slow'; ms: number } | { kind: 'refuse' };

/** One direction of a connection: chunks wait in order until their time (Infinity: held by a black hole). */
interface Lane {
  from: Socket;
  to: Socket;
  queue: Array<{ chunk: Buffer; at: number }>;
  bytes: number;
  timer: NodeJS.Timeout | null;
}

interface Pipe {
  client: Socket;
  server: Socket;
  lanes: Lane[];
  /** Bytes from the client are held (holdOpen). */
  held: boolean;
}

/** Bytes queued in one direction before the sending side is paused. */
const MAX_QUEUED = 1 << 20;

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

  /**
   * Hold what the clients of the open connections send from now on (until heal); new connections pass. `which`:
   * only the connections whose client's port it accepts. Returns the number of connections held.
   */
  holdOpen(which: (clientPort: number) => boolean = () => true): number {
    let n = 0;
    for (const p of this.pipes) {
      if (p.client.remotePort === undefined || !which(p.client.remotePort)) continue;
      p.held = true;
      n++;
    }
    return n;
  }

  /** Bytes held on their way to the server by holdOpen. */
  get heldToServer(): number {
    let n = 0;
    for (const p of this.pipes) if (p.held) n += p.lanes[0]?.bytes ?? 0;
    return n;
  }

  /** Back to normal; what a black hole held or a slow link delayed is delivered now, in order. */
  heal(): void {
    this.mode = { kind: 'pass' };
    for (const p of this.pipes) {
      p.held = false;
      for (const lane of p.lanes) {
        for (const q of lane.queue) q.at = 0;
        this.pump(lane);
      }
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
    const pipe: Pipe = { client, server, lanes: [], held: false };
    this.pipes.add(pipe);
    for (const [from, to] of [[client, server], [server, client]] as const) {
      const lane: Lane = { from, to, queue: [], bytes: 0, timer: null };
      pipe.lanes.push(lane);
      from.on('data', (chunk: Buffer) => {
        const m = this.mode;
        const at = m.kind === 'blackhole' || (from === client && pipe.held) ? Infinity : m.kind === 'slow' ? Date.now() + m.ms : 0;
        lane.queue.push({ chunk, at });
        lane.bytes += chunk.length;
        if (lane.bytes > MAX_QUEUED) from.pause();
        this.pump(lane);
      });
    }
    const end = (): void => this.drop(pipe);
    for (const s of [client, server]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  /** Deliver the chunks whose time has come, in order; wait for the next one. */
  private pump(lane: Lane): void {
    if (lane.timer) {
      clearTimeout(lane.timer);
      lane.timer = null;
    }
    const now = Date.now();
    while (lane.queue.length > 0 && lane.queue[0]!.at <= now) {
      const { chunk } = lane.queue.shift()!;
      lane.bytes -= chunk.length;
      if (!lane.to.destroyed) lane.to.write(chunk);
    }
    if (lane.bytes <= MAX_QUEUED && lane.from.isPaused() && !lane.from.destroyed) lane.from.resume();
    const next = lane.queue[0];
    if (next && next.at !== Infinity) lane.timer = setTimeout(() => this.pump(lane), Math.max(1, next.at - now));
  }

  private drop(p: Pipe): void {
    if (!this.pipes.delete(p)) return;
    for (const lane of p.lanes) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.queue = [];
    }
    closeWithReset(p.client);
    closeWithReset(p.server);
  }
}

/**
 * Close `s` with a RST — unless its writing side is already shutting down (the peer's FIN made Node end it): then
 * libuv refuses the reset (EINVAL while a shutdown request is pending, which it stays while the peer reads nothing)
 * and Node drops the handle without closing it; at exit `Environment::CleanupHandles` then spins forever on it
 * (100 % CPU, no timer runs: the store-outage test's process never exited after its tests passed). Such a socket
 * is closed plainly.
 */
export function closeWithReset(s: Socket): void {
  if (s.destroyed) return;
  if (s.writableEnded) s.destroy();
  else s.resetAndDestroy();
}
