// Named errors that cross layers (store → CLI, main → renderer). Each message says what was wrong and what to do.

export class WorkbenchError extends Error {
  override readonly name: string = 'WorkbenchError';
  /** A short machine-readable code, stable across versions. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The project folder or its catalog cannot be used as asked (missing, newer, not a project...). */
export class ProjectError extends WorkbenchError {
  override readonly name = 'ProjectError';
}

/** Input given by the user (a path, a layout, a label) does not fit. */
export class InputError extends WorkbenchError {
  override readonly name = 'InputError';
}

/** A long job was cancelled by its caller. */
export class CancelledError extends WorkbenchError {
  override readonly name = 'CancelledError';
  constructor(what: string) {
    super('cancelled', `${what} was cancelled`);
  }
}
