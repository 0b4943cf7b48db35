// The images a run trains and validates on, from its dataset snapshot: labelled train-split images train, labelled
// val-split images validate (never the test split). Paths are the project's own stored files.
import type { ImageFormat } from '../../../shared/domain.js';
import { InputError } from '../../../shared/errors.js';
import type { SnapshotImage } from '../../store/datasetSnapshot.js';
import type { Project } from '../../store/project.js';
import type { TrainingImage } from './ssn.js';

export interface TrainingData {
  train: TrainingImage[];
  validation: TrainingImage[];
}

export function trainingImage(project: Project, image: SnapshotImage): TrainingImage {
  const format = project.db.prepare('SELECT format FROM images WHERE sha256 = ?').pluck().get(image.imageSha256) as ImageFormat | undefined;
  if (!format) {
    throw new InputError('image-missing', `image ${image.imageId} of the training snapshot is no longer in the project; start a new training run`);
  }
  return {
    imageId: image.imageId,
    sha256: image.imageSha256,
    path: project.imagePath({ sha256: image.imageSha256, format }),
    label: image.labelState,
    maskPath: image.maskSha256 ? project.maskFiles.pathFor(image.maskSha256, 'png') : null,
  };
}

export function trainingData(project: Project, snapshot: readonly SnapshotImage[]): TrainingData {
  const train = snapshot.filter((i) => i.split === 'train').map((i) => trainingImage(project, i));
  const validation = snapshot.filter((i) => i.split === 'val').map((i) => trainingImage(project, i));
  return { train, validation };
}

/** Refuses a snapshot nothing can be learned from, saying what to label. */
export function checkTrainable(snapshot: readonly SnapshotImage[]): void {
  const normal = snapshot.filter((i) => i.split === 'train' && i.labelState === 'normal').length;
  if (normal === 0) {
    const unlabeled = 'label some training images normal (dwb import of a folder of good parts does this), then train again';
    throw new InputError('no-normal-training-images', `the training split has no image labelled normal; ${unlabeled}`);
  }
  if (normal < 2) throw new InputError('too-few-training-images', `the training split has only ${normal} normal image; label at least 2 (better 20 or more) and train again`);
}
