// A photo taken with a phone or a tablet stores its pixels as the sensor read them and says in its EXIF orientation
// how to turn them. The browser that shows it in the studio turns it; so must everything else, or a mask painted
// over a defect lies elsewhere in the pixels the model trains on.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fileFor } from '../../src/main/app/fileAccess.js';
import { probeImage } from '../../src/main/images/decode.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { loadNormalizedImage } from '../../src/main/ml/backbone/preprocess.js';
import { Project } from '../../src/main/store/project.js';
import { isRedBlock, TAGGED_PHOTO, writeTaggedPhoto } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

const { width: W, height: H } = TAGGED_PHOTO;

async function rgb(input: Buffer | string) {
  return sharp(input).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
}

describe('EXIF orientation', () => {
  it('is applied everywhere: the catalog size, the thumbnail, the original the studio shows and the model input', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'src');
    await mkdir(src);
    // orientation 6: shown turned a quarter clockwise, 150 wide and 300 high, the block in the top-right corner
    await writeTaggedPhoto(path.join(src, 'turned.jpg'), { orientation: 6 });
    await writeTaggedPhoto(path.join(src, 'plain.jpg'));
    // the same picture as a viewer shows it, with no tag to apply
    await sharp(path.join(src, 'turned.jpg')).rotate().png().toFile(path.join(dir, 'upright.png'));

    expect(await probeImage(path.join(src, 'turned.jpg'))).toMatchObject({ width: H, height: W, orientation: 6 });
    expect(await probeImage(path.join(src, 'plain.jpg'))).toMatchObject({ width: W, height: H, orientation: 1 });

    const project = await Project.create(path.join(dir, 'project'));
    try {
      await runImport(project, await planImport(src, 'flat'));
      const byName = Object.fromEntries(project.images.list().map((i) => [i.originalName, i]));
      const turned = byName['turned.jpg']!;
      const plain = byName['plain.jpg']!;
      // the studio sizes its canvas and every mask from these
      expect([turned.width, turned.height]).toEqual([H, W]);
      expect([plain.width, plain.height]).toEqual([W, H]);

      const thumb = await rgb(project.thumbnailPath(turned));
      expect([thumb.info.width, thumb.info.height]).toEqual([128, 256]);
      expect(isRedBlock(thumb.data, thumb.info.width, thumb.info.width - 5, 5)).toBe(true);
      expect(isRedBlock(thumb.data, thumb.info.width, 5, 5)).toBe(false);

      // the original goes to the studio already turned (a PNG), so it does not matter whether a browser reads the tag
      const shown = await fileFor(project, 'image', turned.id);
      expect(shown.kind).toBe('bytes');
      const picture = await rgb((shown as { bytes: Buffer }).bytes);
      expect([picture.info.width, picture.info.height]).toEqual([H, W]);
      expect(isRedBlock(picture.data, H, H - 10, 10)).toBe(true);
      expect(isRedBlock(picture.data, H, 10, 10)).toBe(false);
      // an untagged JPEG is still served as it is stored
      expect(await fileFor(project, 'image', plain.id)).toMatchObject({ kind: 'file', contentType: 'image/jpeg' });

      // the model reads the turned picture: the same input as the upright copy, not the stored raster
      const size = { height: 256, width: 128 };
      const fromTurned = await loadNormalizedImage(project.imagePath(turned), size);
      const fromUpright = await loadNormalizedImage(path.join(dir, 'upright.png'), size);
      expect(fromTurned).toEqual(fromUpright);
      const fromPlain = await loadNormalizedImage(project.imagePath(plain), { height: 128, width: 256 });
      expect(fromPlain.length).toBe(fromTurned.length);
      expect(fromPlain).not.toEqual(fromTurned);
    } finally {
      project.close();
    }
  });
});
