// The table of dwb's commands, in the order the help lists them.
import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { modelsCommand } from './models.js';
import { predictCommand } from './predict.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';
import { trainCommand } from './train.js';

export const COMMANDS: readonly Command[] = [
  initCommand,
  importCommand,
  statsCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  modelsCommand,
  demoCommand,
  serveCommand,
  benchCommand,
];
