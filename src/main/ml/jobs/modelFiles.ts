// A stored model version as the model code takes it: the TrainedModel with the graph and parameters read back from
// the project's models/ store and the backbone pointing at the project's own copy.
import { readFile } from 'node:fs/promises';
import { ProjectError } from '../../../shared/errors.js';
import type { ModelVersionDetail } from '../../../shared/models.js';
import { BLOB_PROBLEM_TEXT } from '../../store/blobStore.js';
import { GRAPH_EXTENSION, PARAMETERS_EXTENSION } from '../../store/modelVersions.js';
import type { Project } from '../../store/project.js';
import { decodeTensors } from '../../store/tensorFile.js';
import type { TrainedModel, TrainingConfig } from './ssn.js';

/**
 * Checks a stored file against its hash before the model uses it: a changed byte in a graph or a backbone's weights
 * could still load and give wrong scores without a word. Hashed once per process while the file is unchanged.
 */
async function verifyStored(project: Project, version: ModelVersionDetail, sha256: string, extension: string, what: string): Promise<string> {
  const file = project.models.files.pathFor(sha256, extension);
  const problem = await project.models.files.verify(sha256, extension);
  if (problem) {
    throw new ProjectError(
      problem === 'missing' ? 'model-file-missing' : 'model-file-damaged',
      `${what} of model v${version.id} ${BLOB_PROBLEM_TEXT[problem]} (${file}): restore it from a backup copy of the project, or train the version again; dwb check --project ${project.layout.root} lists every damaged file`,
    );
  }
  return file;
}

export async function loadTrainedModel(project: Project, version: ModelVersionDetail): Promise<TrainedModel> {
  const [graphFile, parametersFile, backbonePath] = await Promise.all([
    verifyStored(project, version, version.graphSha256, GRAPH_EXTENSION, 'the inference graph'),
    verifyStored(project, version, project.models.parametersSha256(version.id), PARAMETERS_EXTENSION, 'the parameter file'),
    verifyStored(project, version, version.backboneSha256, GRAPH_EXTENSION, "the project's copy of the backbone"),
  ]);
  const [graph, parameters] = await Promise.all([readFile(graphFile), readFile(parametersFile)]);
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
