// How a command opens the project it works on: as the app does, and saying on stderr what the opening changed (an
// older project fitted to this version), so a change to the user's labels is never silent at the command line either.
import { Project } from '../main/store/project.js';
import type { CommandContext } from './command.js';

export async function openProject(root: string, ctx: Pick<CommandContext, 'err'>): Promise<Project> {
  const project = await Project.open(root);
  for (const notice of project.notices) ctx.err(`note: ${notice}\n`);
  return project;
}
