// A stored model version as the model code takes it: the TrainedModel with the graph and parameters read back from
// the project's models/ store and the backbone pointing at the project's own copy.
import { access, readFile } from 'node:fs/promises';
import { ProjectError } from '../../../shared/errors.js';
import type { ModelVersionDetail } from '../../../shared/models.js';
import type { Project } from '../../store/project.js';
import { decodeTensors } from '../../store/tensorFile.js';
import type { TrainedModel, TrainingConfig } from './ssn.js';

async function readStored(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ProjectError(
      'model-file-missing',
      `the ${what} of this model version is missing from the project (${file}: ${(error as NodeJS.ErrnoException).code}); run dwb check, or train the version again`,
    );
  }
}

export async function loadTrainedModel(project: Project, version: ModelVersionDetail): Promise<TrainedModel> {
  const backbonePath = project.models.backbonePath(version.backboneSha256);
  const [graph, parameters] = await Promise.all([
    readStored(project.models.graphPath(version), 'inference graph'),
    readStored(project.models.parametersPath(project.models.parametersSha256(version.id)), 'parameter file'),
  ]);
  await access(backbonePath).catch(() => {
    throw new ProjectError('model-file-missing', `the backbone of this model version is missing from the project (${backbonePath}); run dwb check, or train the version again`);
  });
  return {
    config: { ...(version.config as unknown as TrainingConfig), backbonePath },
    backboneSha256: version.backboneSha256,
    featureScale: version.featureScale,
    inferenceGraph: new Uint8Array(graph.buffer, graph.byteOffset, graph.byteLength),
    parameters: decodeTensors(parameters),
    trainSeconds: version.trainSeconds,
    provider: version.provider,
  };
}
