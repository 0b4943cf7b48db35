// What a checkpoint holds for a set of training artifacts, and how it is put back: parameters and buffers under
// their own names, the optimizer's moments cut per parameter (the train step keeps them as one flat vector per
// group, whose layout depends on the order the model declares its parameters). Restoring matches every tensor by
// name and shape, so a checkpoint loads into any graph built for the same model, however that graph was generated.
import type { FloatArray } from './dtype.js';
import { CheckpointError, type Checkpoint } from './checkpoint.js';
import type { TrainingArtifacts } from './compile.js';
import { formatShape, sizeOf } from './shape.js';

interface Piece {
  /** Name of the per-parameter piece in a checkpoint. */
  name: string;
  param: string;
  shape: readonly number[];
  offset: number;
}

/** Name under which a checkpoint stores the optimizer's `kind` of moment (m, v, momentum) of one parameter. */
export const optimizerStateName = (kind: string, param: string) => `optstate/${kind}/${param}`;

/** The per-parameter pieces of each flat optimizer-state vector (`opt/<kind>/<group>`). */
function statePieces(artifacts: TrainingArtifacts): Map<string, Piece[]> {
  const pieces = new Map<string, Piece[]>();
  for (const state of artifacts.state) {
    const [, kind, ...rest] = state.name.split('/');
    const group = rest.join('/');
    let offset = 0;
    const list: Piece[] = [];
    for (const p of artifacts.params.filter((q) => q.group === group)) {
      list.push({ name: optimizerStateName(kind!, p.name), param: p.name, shape: p.shape, offset });
      offset += sizeOf(p.shape);
    }
    if (offset !== sizeOf(state.shape)) throw new Error(`optimizer state ${state.name} holds ${sizeOf(state.shape)} values, its group's parameters ${offset}`);
    pieces.set(state.name, list);
  }
  return pieces;
}

/** Checkpoint tensors and shapes from the trainer's current values (by slot name: parameter, buffer, state). */
export function checkpointTensors(artifacts: TrainingArtifacts, valueOf: (slot: string) => FloatArray) {
  const tensors = new Map<string, FloatArray>();
  const shapes = new Map<string, readonly number[]>();
  const put = (name: string, values: FloatArray, shape: readonly number[]) => {
    tensors.set(name, values);
    shapes.set(name, [...shape]);
  };
  for (const p of artifacts.params) put(p.name, valueOf(p.name), p.shape);
  for (const b of artifacts.buffers) put(b.name, valueOf(b.name), b.shape);
  for (const [state, pieces] of statePieces(artifacts)) {
    const flat = valueOf(state);
    for (const piece of pieces) put(piece.name, flat.slice(piece.offset, piece.offset + sizeOf(piece.shape)), piece.shape);
  }
  return { tensors, shapes };
}

/**
 * The value of every slot (parameter, buffer, flat optimizer state) from a checkpoint, or a CheckpointError naming
 * each tensor that is missing, has another shape, or belongs to no tensor of this model. Format-1 checkpoints
 * (flat state vectors, no shapes) are matched by name and length.
 */
export function restoreSlots(artifacts: TrainingArtifacts, checkpoint: Checkpoint): Map<string, FloatArray> {
  const problems: string[] = [];
  const used = new Set<string>();
  const take = (name: string, shape: readonly number[]): FloatArray | undefined => {
    const values = checkpoint.tensors.get(name);
    if (!values) return undefined;
    used.add(name);
    const stored = checkpoint.shapes?.get(name);
    const mismatch = stored ? stored.length !== shape.length || stored.some((d, i) => d !== shape[i]) : values.length !== sizeOf(shape);
    if (mismatch) {
      problems.push(`"${name}" is ${stored ? formatShape(stored) : `${values.length} values`} in the checkpoint but ${formatShape(shape)} in this model`);
      return undefined;
    }
    return values;
  };
  const slots = new Map<string, FloatArray>();
  for (const spec of [...artifacts.params, ...artifacts.buffers]) {
    const values = take(spec.name, spec.shape);
    if (values) slots.set(spec.name, values);
    else if (!checkpoint.tensors.has(spec.name)) problems.push(`"${spec.name}" ${formatShape(spec.shape)} is missing from the checkpoint`);
  }
  for (const [state, pieces] of statePieces(artifacts)) {
    const spec = artifacts.state.find((s) => s.name === state)!;
    const flat = checkpoint.tensors.has(state) ? take(state, spec.shape) : undefined;
    if (flat) {
      slots.set(state, flat);
      continue;
    }
    if (checkpoint.tensors.has(state)) continue; // its shape mismatch is already reported
    const out = new (artifacts.dtype === 'float64' ? Float64Array : Float32Array)(sizeOf(spec.shape));
    for (const piece of pieces) {
      const values = take(piece.name, piece.shape);
      if (values) out.set(values, piece.offset);
      else if (!checkpoint.tensors.has(piece.name)) problems.push(`optimizer state "${piece.name}" ${formatShape(piece.shape)} is missing from the checkpoint`);
    }
    slots.set(state, out);
  }
  for (const [name, values] of checkpoint.tensors) {
    if (!used.has(name)) problems.push(`"${name}" ${formatShape(checkpoint.shapes?.get(name) ?? [values.length])} in the checkpoint has no counterpart in this model`);
  }
  if (problems.length) {
    const shown = problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
    throw new CheckpointError(`the checkpoint does not fit this model: ${shown}. It was saved from a model with other layers or sizes; train this one from scratch or load a checkpoint of the same model`);
  }
  return slots;
}
