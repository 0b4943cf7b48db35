// Writers of real image files for tests: every file is encoded by sharp, or byte by byte for BMP, and decoded
// again by the code under test.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { renderSurface } from '../../src/main/synth/surface.js';

export async function writeSurface(
  file: string,
  options: { width?: number; height?: number; channels?: 1 | 3; seed?: number; format?: 'png' | 'jpeg' | 'tiff' } = {},
): Promise<void> {
  const { width = 64, height = 48, channels = 3, seed = 1 } = options;
  await mkdir(path.dirname(file), { recursive: true });
  const raw = sharp(renderSurface({ width, height, channels, seed }), { raw: { width, height, channels } });
  const image = channels === 1 ? raw.toColourspace('b-w') : raw;
  const format = options.format ?? (file.endsWith('.jpg') ? 'jpeg' : file.endsWith('.tif') ? 'tiff' : 'png');
  if (format === 'jpeg') await image.jpeg({ quality: 90 }).toFile(file);
  else if (format === 'tiff') await image.tiff().toFile(file);
  else await image.png().toFile(file);
}

/**
 * A 16-bit single-channel image, values spread over the full 16-bit range. PNG through sharp; TIFF written by
 * hand (little-endian, one uncompressed strip), as machine-vision cameras write it, since sharp's TIFF writer
 * stores grey16 as 8 bit.
 */
export async function writeGrey16(file: string, width: number, height: number, format: 'png' | 'tiff'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const values = new Uint16Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = (i * 977) % 65536;
  if (format === 'png') {
    await sharp(Buffer.from(values.buffer), { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toFile(file);
    return;
  }
  const entries: [tag: number, type: number, value: number][] = [
    [256, 3, width], // ImageWidth
    [257, 3, height], // ImageLength
    [258, 3, 16], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // Photometric: black is zero
    [273, 4, 0], // StripOffsets, patched below
    [277, 3, 1], // SamplesPerPixel
    [278, 3, height], // RowsPerStrip
    [279, 4, values.byteLength], // StripByteCounts
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  entries[5]![2] = dataOffset;
  const buffer = Buffer.alloc(dataOffset + values.byteLength);
  buffer.write('II', 0, 'latin1');
  buffer.writeUInt16LE(42, 2);
  buffer.writeUInt32LE(8, 4);
  buffer.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    buffer.writeUInt16LE(tag, at);
    buffer.writeUInt16LE(type, at + 2);
    buffer.writeUInt32LE(1, at + 4);
    if (type === 3) buffer.writeUInt16LE(value, at + 8);
    else buffer.writeUInt32LE(value, at + 8);
  });
  Buffer.from(values.buffer).copy(buffer, dataOffset);
  await writeFile(file, buffer);
}

/** A binary-ish mask with anti-aliased edge values, `value(x, y)` giving 0..255. */
export async function writeMask(file: string, width: number, height: number, value: (x: number, y: number) => number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = value(x, y);
  await sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(file);
}

/** An uncompressed BMP written by hand: 24-bit colour, or 8-bit with a grey palette. Rows bottom-up, padded to 4. */
export async function writeBmp(file: string, width: number, height: number, bits: 8 | 24, pixel: (x: number, y: number) => [number, number, number]): Promise<void> {
  const bytesPerPixel = bits / 8;
  const rowSize = Math.ceil((width * bytesPerPixel) / 4) * 4;
  const paletteSize = bits === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + paletteSize;
  const buffer = Buffer.alloc(offset + rowSize * height);
  buffer.write('BM', 0, 'latin1');
  buffer.writeUInt32LE(buffer.length, 2);
  buffer.writeUInt32LE(offset, 10);
  buffer.writeUInt32LE(40, 14);
  buffer.writeInt32LE(width, 18);
  buffer.writeInt32LE(height, 22);
  buffer.writeUInt16LE(1, 26);
  buffer.writeUInt16LE(bits, 28);
  buffer.writeUInt32LE(0, 30);
  buffer.writeUInt32LE(rowSize * height, 34);
  buffer.writeUInt32LE(bits === 8 ? 256 : 0, 46);
  for (let i = 0; i < paletteSize / 4; i++) buffer.writeUInt32LE((i << 16) | (i << 8) | i, 54 + i * 4);
  for (let y = 0; y < height; y++) {
    const row = offset + (height - 1 - y) * rowSize;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      if (bits === 8) buffer[row + x] = r;
      else buffer.set([b, g, r], row + x * 3);
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, buffer);
}

/** The size of the stored raster of writeTaggedPhoto; shown turned, it is TAGGED_PHOTO.height wide. */
export const TAGGED_PHOTO = { width: 300, height: 150 };

/**
 * A JPEG as a phone stores a photo it took sideways: a grey 300 × 150 raster with a red 60 × 40 block in its stored
 * top-left corner, and the EXIF orientation (6: shown turned a quarter clockwise, the block then top right).
 */
export async function writeTaggedPhoto(file: string, options: { orientation?: number; quality?: number } = {}): Promise<void> {
  const { width, height } = TAGGED_PHOTO;
  const px = Buffer.alloc(width * height * 3, 128);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 60; x++) px.set([230, 20, 20], (y * width + x) * 3);
  await mkdir(path.dirname(file), { recursive: true });
  const image = sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: options.quality ?? 95 });
  await (options.orientation === undefined || options.orientation === 1 ? image : image.withMetadata({ orientation: options.orientation })).toFile(file);
}

/** Whether the pixel at (x, y) of an 8-bit RGB raster is writeTaggedPhoto's red block. */
export const isRedBlock = (data: Uint8Array, width: number, x: number, y: number) => data[(y * width + x) * 3]! > 180 && data[(y * width + x) * 3 + 1]! < 80;
