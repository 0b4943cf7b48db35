// Checkpoints: every parameter, buffer and optimizer-state tensor by name and shape, the step and the training
// config, in one file. They load into any train-step graph whose tensors have the same names and shapes, so a change
// in code generation (a new lowering, a fused op) does not orphan saved runs; the graph's hash is kept only as a
// note. Written to a temporary file, flushed and renamed, so a crash leaves either the old checkpoint or the new
// one, never a torn file. Values round-trip bit for bit. Format 1 (no shapes, tied to the graph hash) still loads.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../fs/atomicFile.js';
import type { FloatArray, FloatDType } from './dtype.js';

const MAGIC = Buffer.from('DWBCKPT1', 'latin1');
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  step: number;
  /** Hash of the train-step graph that wrote it: informative only, loading matches tensors by name and shape. */
  graphHash: string;
  config: unknown;
  /** Parameters, buffers and optimizer state by name. */
  tensors: Map<string, FloatArray>;
  /** Shape of each tensor (absent in format-1 files, where only the length is known). */
  shapes?: Map<string, readonly number[]>;
}

interface Header {
  version: number;
  step: number;
  graphHash: string;
  config: unknown;
  savedAt: string;
  dataSha256: string;
  tensors: { name: string; dtype: FloatDType; length: number; offset: number; shape?: number[] }[];
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export async function saveCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  const entries: Header['tensors'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, values] of checkpoint.tensors) {
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const shape = checkpoint.shapes?.get(name);
    entries.push({ name, dtype: values instanceof Float64Array ? 'float64' : 'float32', length: values.length, offset, ...(shape ? { shape: [...shape] } : {}) });
    chunks.push(bytes);
    // keep every tensor 8-byte aligned so it can be viewed in place when loaded
    const padding = (8 - (bytes.length % 8)) % 8;
    if (padding) chunks.push(Buffer.alloc(padding));
    offset += bytes.length + padding;
  }
  const data = Buffer.concat(chunks);
  const header: Header = {
    version: CHECKPOINT_VERSION,
    step: checkpoint.step,
    graphHash: checkpoint.graphHash,
    config: checkpoint.config,
    savedAt: new Date().toISOString(),
    dataSha256: createHash('sha256').update(data).digest('hex'),
    tensors: entries,
  };
  let headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  headerBytes = Buffer.concat([headerBytes, Buffer.alloc((8 - ((MAGIC.length + 4 + headerBytes.length) % 8)) % 8, 0x20)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);

  await writeFileAtomic(file, Buffer.concat([MAGIC, length, headerBytes, data]), { sync: true });
}

export async function loadCheckpoint(file: string): Promise<Checkpoint & { savedAt: string }> {
  const bytes = await readFile(file);
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) throw new CheckpointError(`${file} is not a Defect Workbench checkpoint`);
  const headerLength = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as Header;
  if (header.version > CHECKPOINT_VERSION) {
    throw new CheckpointError(`${file} was written by a newer workbench (checkpoint format ${header.version}); update the workbench to load it`);
  }
  const start = 12 + headerLength;
  const data = bytes.subarray(start);
  if (createHash('sha256').update(data).digest('hex') !== header.dataSha256) {
    throw new CheckpointError(`${file} is damaged (its data does not match its checksum); use an earlier checkpoint`);
  }
  const tensors = new Map<string, FloatArray>();
  const shapes = new Map<string, readonly number[]>();
  for (const t of header.tensors) {
    if (t.shape) shapes.set(t.name, t.shape);
    const size = t.dtype === 'float64' ? 8 : 4;
    const copy = Buffer.from(data.subarray(t.offset, t.offset + t.length * size));
    tensors.set(t.name, t.dtype === 'float64' ? new Float64Array(copy.buffer, copy.byteOffset, t.length) : new Float32Array(copy.buffer, copy.byteOffset, t.length));
  }
  return { step: header.step, graphHash: header.graphHash, config: header.config, tensors, ...(shapes.size ? { shapes } : {}), savedAt: header.savedAt };
}
