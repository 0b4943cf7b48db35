// The one place that turns an image file into pixels. sharp (libvips) reads PNG, JPEG and TIFF (8 and 16 bit,
// grey or colour); its prebuilt binaries have no BMP loader, so BMP goes through bmp-ts and enters sharp as raw
// pixels. Everything downstream (thumbnails, masks, training) asks this module, never sharp directly for a file.
// An image is its pixels turned as its EXIF orientation says (a phone's or a tablet's photo of a part), because that
// is how the browser that shows it, and every other viewer, draws it: sizes, masks, thumbnails, training and
// predictions all live in that frame, so a mask painted over a defect lies over it in what the model reads.
import { open, readFile } from 'node:fs/promises';
import { decode as decodeBmp } from 'bmp-ts';
import sharp from 'sharp';
import type { ImageFormat } from '../../shared/domain.js';

// Caching decoded images only costs memory here: each file is read once per job.
sharp.cache(false);

/** Images larger than this many pixels are refused before decoding (a 30000×30000 scan, say). */
export const MAX_INPUT_PIXELS = 30_000 * 30_000;

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  /** The EXIF orientation the pixels are turned by (1–8; 1: as stored); width and height are after it. */
  orientation: number;
}

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
}

export async function sniffFormat(file: string): Promise<ImageFormat | string> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(12), 0, 12, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47) return 'png';
    if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
    if (head.length >= 4 && (head.toString('latin1', 0, 4) === 'II*\0' || head.toString('latin1', 0, 4) === 'MM\0*')) return 'tiff';
    if (head.length >= 2 && head.toString('latin1', 0, 2) === 'BM') return 'bmp';
    if (head.length >= 6 && head.toString('latin1', 0, 3) === 'GIF') return 'gif';
    if (head.length >= 12 && head.toString('latin1', 8, 12) === 'WEBP') return 'webp';
    return head.length === 0 ? 'empty file' : 'unknown';
  } finally {
    await handle.close();
  }
}

const DEPTH_BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32 };

/** Reads the header only: format, size, channels and bit depth. Does not prove the pixel data is intact. */
export async function probeImage(file: string): Promise<ImageInfo> {
  const format = await sniffFormat(file);
  if (format === 'bmp') {
    const bmp = await decodeBmpFile(file);
    return { format, width: bmp.width, height: bmp.height, channels: bmp.channels, bitDepth: 8, orientation: 1 };
  }
  if (format !== 'png' && format !== 'jpeg' && format !== 'tiff') {
    throw new ImageDecodeError(`unsupported format (${format}); the workbench imports PNG, JPEG, BMP and TIFF`);
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (error) {
    throw new ImageDecodeError(`unreadable ${format.toUpperCase()} header: ${(error as Error).message}`);
  }
  if (!meta.width || !meta.height || !meta.channels) {
    throw new ImageDecodeError(`the ${format.toUpperCase()} header has no image size`);
  }
  if (meta.width * meta.height > MAX_INPUT_PIXELS) {
    throw new ImageDecodeError(`image of ${meta.width}×${meta.height} pixels is larger than the supported ${MAX_INPUT_PIXELS} pixels`);
  }
  const bitDepth = meta.bitsPerSample === 1 ? 1 : (DEPTH_BITS[meta.depth ?? 'uchar'] ?? 8);
  const orientation = meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  const { width, height } = meta.autoOrient ?? meta;
  return { format, width, height, channels: meta.channels, bitDepth, orientation };
}

/**
 * A sharp pipeline over the file's pixels. sharp decodes lazily and in strips, so an 8000×8000 PNG flows through
 * a resize without its full raster ever being held in memory. Decoding errors (truncation, corruption) surface when
 * the pipeline is run, and name the file's format. The pixels come turned by the file's EXIF orientation.
 */
export async function openImage(file: string, format: ImageFormat): Promise<sharp.Sharp> {
  if (format === 'bmp') {
    const bmp = await decodeBmpFile(file);
    const image = sharp(bmp.rgba, { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
    return bmp.channels === 1 ? image.removeAlpha().toColourspace('b-w') : image.removeAlpha();
  }
  return sharp(file, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, failOn: 'warning' }).autoOrient();
}

interface DecodedBmp {
  width: number;
  height: number;
  /** 1 for a grey palette, else 3: BMP alpha is dropped, since writers disagree on whether 32-bit BMP has one. */
  channels: number;
  rgba: Buffer;
}

/**
 * Reads a BMP header and refuses one that cannot describe this file: bmp-ts would otherwise try to allocate what an
 * absurd header claims and fail with a bare RangeError.
 */
export function checkBmpHeader(bytes: Buffer): void {
  const fail = (why: string) => {
    throw new ImageDecodeError(`corrupt or unsupported BMP: ${why}`);
  };
  if (bytes.length < 26) fail(`the file is only ${bytes.length} bytes, too short for a BMP header`);
  const dataOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(14);
  const core = headerSize === 12;
  if (!core && (headerSize < 40 || bytes.length < 34)) fail(`unknown header size ${headerSize}`);
  const width = core ? bytes.readUInt16LE(18) : bytes.readInt32LE(18);
  const height = Math.abs(core ? bytes.readInt16LE(20) : bytes.readInt32LE(22));
  const bits = core ? bytes.readUInt16LE(24) : bytes.readUInt16LE(28);
  const compression = core ? 0 : bytes.readUInt32LE(30);
  if (width <= 0 || height <= 0) fail(`the header gives an image size of ${width}×${height} pixels`);
  if (width * height > MAX_INPUT_PIXELS) fail(`the header gives ${width}×${height} pixels, more than the supported ${MAX_INPUT_PIXELS}`);
  if (![1, 4, 8, 16, 24, 32].includes(bits)) fail(`the header gives ${bits} bits per pixel; BMP has 1, 4, 8, 16, 24 or 32`);
  if (dataOffset >= bytes.length) fail(`the header puts the pixels at byte ${dataOffset}, past the end of the ${bytes.length}-byte file`);
  if (compression === 0) {
    const needed = Math.ceil((width * bits) / 32) * 4 * height;
    if (dataOffset + needed > bytes.length) {
      fail(`the header gives ${width}×${height} pixels at ${bits} bits (${needed} bytes of pixels) but the file holds ${bytes.length - dataOffset}: it is truncated or damaged`);
    }
  }
}

async function decodeBmpFile(file: string): Promise<DecodedBmp> {
  const bytes = await readFile(file);
  checkBmpHeader(bytes);
  try {
    const bmp = decodeBmp(bytes, { toRGBA: true });
    const width = bmp.width;
    const height = Math.abs(bmp.height);
    if (!(width > 0 && height > 0)) throw new Error(`invalid size ${bmp.width}×${bmp.height}`);
    if (bmp.data.length < width * height * 4) throw new Error('pixel data is shorter than the header says');
    const greyPalette = bmp.bitPP <= 8 && bmp.palette.length > 0 && bmp.palette.every((c) => c.red === c.green && c.green === c.blue);
    const channels = greyPalette ? 1 : 3;
    return { width, height, channels, rgba: bmp.data };
  } catch (error) {
    throw new ImageDecodeError(`corrupt or unsupported BMP: ${(error as Error).message}`);
  }
}
