// Named float32 tensors in one deterministic file (a model version's parameters, kept for warm starts): the same
// tensors always give the same bytes, so the file can live in a content-addressed store. Layout: magic, header
// length (uint32 LE), JSON header { name, length, offset }[] sorted by name, then the float32 data, 4-byte aligned.
const MAGIC = Buffer.from('DWBTENS1', 'latin1');

interface Entry {
  name: string;
  length: number;
  offset: number;
}

export function encodeTensors(tensors: ReadonlyMap<string, Float32Array>): Buffer {
  const names = [...tensors.keys()].sort();
  const entries: Entry[] = [];
  let offset = 0;
  for (const name of names) {
    const length = tensors.get(name)!.length;
    entries.push({ name, length, offset });
    offset += length * 4;
  }
  let header = Buffer.from(JSON.stringify(entries), 'utf8');
  header = Buffer.concat([header, Buffer.alloc((4 - ((MAGIC.length + 4 + header.length) % 4)) % 4, 0x20)]);
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + offset);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, MAGIC.length);
  header.copy(out, MAGIC.length + 4);
  const dataStart = MAGIC.length + 4 + header.length;
  for (const entry of entries) {
    const values = tensors.get(entry.name)!;
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, dataStart + entry.offset);
  }
  return out;
}

export function decodeTensors(bytes: Uint8Array): Map<string, Float32Array> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < MAGIC.length + 4 || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not a Defect Workbench parameter file (bad magic)');
  }
  const headerLength = buffer.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLength;
  const entries = JSON.parse(buffer.toString('utf8', MAGIC.length + 4, dataStart)) as Entry[];
  const tensors = new Map<string, Float32Array>();
  for (const { name, length, offset } of entries) {
    if (dataStart + offset + length * 4 > buffer.length) throw new Error(`parameter file is truncated (tensor ${name})`);
    // copy out: the result must not alias a buffer the caller may reuse, and must be 4-byte aligned
    const values = new Float32Array(length);
    Buffer.from(values.buffer).set(buffer.subarray(dataStart + offset, dataStart + offset + length * 4));
    tensors.set(name, values);
  }
  return tensors;
}
