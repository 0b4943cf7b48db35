// The table of dwb's commands, in the order the help lists them.
import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { exportLabelsCommand, importLabelsCommand } from './labels.js';
import { modelsCommand } from './models.js';
import { predictCommand } from './predict.js';
import { quantizeCommand } from './quantize.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';
import { thresholdsCommand } from './thresholds.js';
import { trainCommand } from './train.js';

export const COMMANDS: readonly Command[] = [
  initCommand,
  importCommand,
  statsCommand,
  checkCommand,
  exportLabelsCommand,
  importLabelsCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  modelsCommand,
  thresholdsCommand,
  exportCommand,
  quantizeCommand,
  demoCommand,
  serveCommand,
  benchCommand,
];
