// Where things live inside a project folder. A project is self-contained: copy the folder and it moves whole.
import path from 'node:path';

export const CATALOG_FILE = 'project.sqlite';

export interface ProjectLayout {
  root: string;
  catalog: string;
  /** Imported originals, byte for byte, named by SHA-256. */
  images: string;
  /** Binarized pixel masks (0/255 PNG), named by SHA-256. */
  masks: string;
  /** Grid thumbnails, named by the SHA-256 of their image. */
  thumbnails: string;
  /** Model files (inference graphs, parameters, backbones), named by SHA-256. */
  models: string;
  /** Anomaly maps of evaluations (8-bit PNG), named by SHA-256. */
  maps: string;
  /** One folder per training run (checkpoints), removed when its version is written. */
  runs: string;
  /** Backbone features per image content, backbone, size and preset. */
  featureCache: string;
}

export function projectLayout(root: string): ProjectLayout {
  const abs = path.resolve(root);
  return {
    root: abs,
    catalog: path.join(abs, CATALOG_FILE),
    images: path.join(abs, 'images'),
    masks: path.join(abs, 'masks'),
    thumbnails: path.join(abs, 'thumbnails'),
    models: path.join(abs, 'models'),
    maps: path.join(abs, 'maps'),
    runs: path.join(abs, 'runs'),
    featureCache: path.join(abs, 'cache', 'features'),
  };
}
