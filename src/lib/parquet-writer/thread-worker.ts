// The writer thread behind ParquetWriterThread: one ParquetWriter, messages in order; row
// groups arrive as slots (shared buffers handed over once, at open). After a close the thread
// waits for the next open: one thread serves one writer after another.
import {renameSync, writeFileSync} from "node:fs";
import {parentPort} from "node:worker_threads";
import {tempPathFor} from "../core/atomic-file.js";
import type {ColumnData, ColumnSpec, WriterState} from "./columns.js";
import {PartitionedWriter, type PartitionSpec, type PartitionedState} from "./partitioned.js";
import {ParquetWriter} from "./writer.js";

let writer: ParquetWriter | PartitionedWriter | undefined;
let slots: ColumnData[][] = [];
parentPort!.on(
  "message",
  (m: {
    id: number;
    type: string;
    path?: string;
    columns?: ColumnSpec[];
    resume?: WriterState | PartitionedState;
    partition?: PartitionSpec;
    slots?: ColumnData[][];
    slot?: number;
    n?: number;
    record?: object;
  }) => {
    try {
      if (m.type === "open") {
        slots = m.slots!;
        writer = m.partition
          ? new PartitionedWriter(m.partition, m.columns!, m.resume as PartitionedState | undefined)
          : new ParquetWriter(m.path!, m.columns!, m.resume as WriterState | undefined);
      } else if (m.type === "rowGroup") {
        writer!.writeRowGroup(slots[m.slot!]!, 0, m.n!);
        return parentPort!.postMessage({id: m.id, slot: m.slot});
      } else if (m.type === "checkpoint") {
        // Everything before this message is written: its state, synced, goes into the record.
        const temp = tempPathFor(m.path!);
        writeFileSync(temp, JSON.stringify({...m.record, writer: writer!.state()}));
        renameSync(temp, m.path!);
      } else if (m.type === "close") {
        writer!.close();
        // Idle until the next "open" (a later writer of the process): nothing of this one is kept.
        writer = undefined;
        slots = [];
      } else if (m.type === "abort") writer?.abort();
      parentPort!.postMessage({id: m.id});
    } catch (error) {
      // A failed row group keeps its slot: the writer is broken, and the caller stops at the error.
      parentPort!.postMessage({id: m.id, error: (error as Error).stack ?? String(error)});
    }
  }
);
