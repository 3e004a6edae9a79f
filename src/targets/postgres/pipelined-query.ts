/**
 * One simple-protocol query whose text may hold `COPY … FROM STDIN` statements, sent in one go with the rows of each
 * COPY (CopyData messages and a CopyDone per COPY, in the order of the statements) without waiting for PostgreSQL's
 * CopyInResponse: a batch's statements, its COPYs, the checkpoint and COMMIT take one round trip.
 *
 * PostgreSQL runs the statements in order and reads each COPY's data when it reaches that statement. After an error
 * it skips the rest of the text, and the CopyData / CopyDone messages that are still to come are dropped (the
 * protocol's rule for a COPY that failed): the connection is ready for the next query, and the transaction is
 * rolled back by the caller as after any failed statement.
 */
import type pg from 'pg';

/** The protocol's message types (frontend): CopyData 'd', CopyDone 'c'. */
const COPY_DATA = 0x64;
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]);

/** The part of pg's Connection a submittable query uses. */
interface PgConnection {
  query(text: string): void;
  stream: NodeJS.WritableStream & { cork(): void; uncork(): void };
}

/**
 * A query for `client.query(q)` (pg's Submittable): `done` resolves with each statement's row count (null for a
 * statement without one: BEGIN, CREATE …), in order, or rejects with the first error.
 */
export class PipelinedQuery {
  readonly done: Promise<Array<number | null>>;
  private readonly counts: Array<number | null> = [];
  private resolve!: (counts: Array<number | null>) => void;
  private reject!: (err: unknown) => void;
  private settled = false;

  /** `copies`: the data of each COPY … FROM STDIN of `text`, in order. */
  constructor(private readonly text: string, private readonly copies: ReadonlyArray<readonly Buffer[]>) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Called by pg when the connection is free: the query text and every COPY's data, in one write where possible. */
  submit(connection: PgConnection): undefined {
    const stream = connection.stream;
    stream.cork();
    connection.query(this.text);
    for (const data of this.copies) {
      for (const chunk of data) {
        if (chunk.length === 0) continue;
        const head = Buffer.allocUnsafe(5);
        head[0] = COPY_DATA;
        head.writeUInt32BE(chunk.length + 4, 1);
        stream.write(head);
        stream.write(chunk);
      }
      stream.write(COPY_DONE);
    }
    process.nextTick(() => stream.uncork());
    return undefined;
  }

  handleCommandComplete(msg: { text?: string }): void {
    // "INSERT 0 5", "UPDATE 1", "COPY 3", "SELECT 1": the last number is the row count; "BEGIN", "COMMIT": none.
    const m = / (\d+)$/.exec(msg.text ?? '');
    this.counts.push(m ? Number(m[1]) : null);
  }

  handleError(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.counts);
  }

  // Rows (the fence's SELECT) and the COPY handshake carry nothing this query needs.
  handleRowDescription(): void { /* nothing */ }
  handleDataRow(): void { /* nothing */ }
  handleEmptyQuery(): void { /* nothing */ }
  handleCopyInResponse(): void { /* the data went with the query */ }
  handleCopyData(): void { /* nothing */ }
  handlePortalSuspended(): void { /* nothing */ }
}

/**
 * Run `text` with the data of its COPY statements in one round trip; each statement's row count. The data is made
 * before anything is sent: a value the encoder refuses (a NUL character in text) throws here, with nothing sent.
 */
export async function pipelinedQuery(client: pg.Client, text: string, copies: ReadonlyArray<() => Iterable<Buffer>>): Promise<Array<number | null>> {
  const q = new PipelinedQuery(text, copies.map((data) => [...data()]));
  void client.query(q as unknown as pg.QueryConfig);
  return q.done;
}
