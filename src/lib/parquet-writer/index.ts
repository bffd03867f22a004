export type {ColumnData, ColumnSpec, Runs, Sparse, WriterState} from "./columns.js";
export {ParquetWriterThread} from "./thread.js";
export {ParquetWriter} from "./writer.js";
export {PartitionedWriter, type PartitionSpec, type PartitionedState} from "./partitioned.js";
