// Training features from the cache: an entry a workbench wrote before it kept each image's mean feature (what the
// image density is fitted on) is computed again and replaced, not read without it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Backbone } from '../../src/main/ml/backbone/backbone.js';
import { FeatureCache } from '../../src/main/ml/backbone/featureCache.js';
import { extractFeatures, featureKind, FeatureStage } from '../../src/main/ml/ssn/features.js';
import { featureGeometry } from '../../src/main/ml/ssn/model.js';
import { orthogonalProjection } from '../../src/main/ml/ssn/projection.js';
import { resolveConfig } from '../../src/main/ml/ssn/presets.js';
import { MOBILENET } from '../deploy/fixture.js';
import { DATASETS, datasetsAvailable, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe.runIf(datasetsAvailable())('training features', () => {
  it("computes again a cached entry without the image's mean feature, and keeps it from then on", async () => {
    const config = resolveConfig({ backbonePath: MOBILENET, preset: 'fast', size: { height: 64, width: 64 } }, { provider: 'cpu', pooledChannels: 768 });
    const file = path.join(DATASETS, 'mvtec_bottle/train/good/000.png');
    const image = { path: file, sha256: createHash('sha256').update(await readFile(file)).digest('hex') };
    const backbone = await Backbone.load(MOBILENET, { providers: ['cpu'], threads: 2 });
    const geometry = featureGeometry(config, backbone.info.s8Channels, backbone.info.s16Channels);
    const stage = await FeatureStage.create(geometry, orthogonalProjection(geometry.pooledChannels, config.projectedChannels!), 2);
    const cache = new FeatureCache(await tempDir());
    const key = { imageSha256: image.sha256, backboneSha256: backbone.info.sha256, height: 64, width: 64, preset: featureKind(config) };
    try {
      const [first] = await extractFeatures([image], config, backbone, stage, cache);
      expect(first!.meanFeature.length).toBe(768);
      // as an older workbench wrote it: the projected features and the norm only
      const stored = (await cache.get(key))!;
      const { meanFeature, ...older } = stored.tensors;
      expect(meanFeature?.data).toEqual(first!.meanFeature);
      await cache.put(key, { tensors: older, stats: stored.stats });
      let computed = 0;
      const [again] = await extractFeatures([image], config, backbone, stage, cache, (_, __, cached) => (computed += cached ? 0 : 1));
      expect(computed).toBe(1); // the backbone ran for it
      expect(again!.meanFeature).toEqual(first!.meanFeature);
      expect((await cache.get(key))!.tensors.meanFeature?.data).toEqual(first!.meanFeature);
    } finally {
      await stage.release();
      await backbone.release();
    }
  });
});
