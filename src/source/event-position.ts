import type { BinlogEvent } from '../mysql/binlog/events.js';

const ARTIFICIAL = new Set<BinlogEvent['kind']>(['rotate', 'format_description', 'gtid_list', 'binlog_checkpoint', 'previous_gtids']);

/**
 * Computes where each event starts in the current binlog file. The header's next-position is
 * used when set; MariaDB 11.4+ writes 0 inside transactions, and events inside a compressed
 * payload have none, so the position is carried forward from the previous event.
 */
export class EventPositionTracker {
  constructor(public file = '', private next = 4) {}

  /** Returns the start offset of `ev` and advances past it. */
  observe(ev: BinlogEvent): number {
    const h = ev.header;
    if (ev.kind === 'heartbeat') return this.next;
    if (h.nextPosition === 0 && ARTIFICIAL.has(ev.kind)) {
      // Sent by the server at the start of a dump (fake rotate, format description, GTID list): not in the file here.
      if (ev.kind === 'rotate') {
        this.file = ev.nextFile;
        this.next = ev.position;
      }
      return this.next;
    }
    let start: number;
    if (h.nextPosition > 0 && h.nextPosition >= h.eventSize) start = h.nextPosition - h.eventSize;
    else start = this.next;
    this.next = h.nextPosition > 0 ? h.nextPosition : start + h.eventSize;
    if (ev.kind === 'rotate') {
      this.file = ev.nextFile;
      this.next = ev.position;
    }
    return start;
  }
}
