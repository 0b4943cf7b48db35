// Element types the engine builds graphs in. float64 exists for gradient checks (finite differences need the
// precision); models train in float32. int64 and bool appear only inside graphs (shapes, masks).
export type DType = 'float32' | 'float64' | 'int64' | 'bool';
export type FloatDType = 'float32' | 'float64';

export type FloatArray = Float32Array | Float64Array;

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function floatArray(dtype: FloatDType, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

export function toFloatArray(dtype: FloatDType, values: ArrayLike<number>): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

export function dtypeOfArray(values: FloatArray): FloatDType {
  return values instanceof Float32Array ? 'float32' : 'float64';
}

/** onnx.TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9, float64: 11 };
