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

/**
 * The machine refused an operation: a full disk, a read-only mount, a permission, a busy port, a damaged catalog.
 * Made only by explainFault, so every such refusal reads the same wherever it surfaces (CLI, app, bridge).
 */
export class FaultError extends WorkbenchError {
  override readonly name = 'FaultError';
}

export interface FaultContext {
  /** The file or folder the failed operation was about; an fs error's own path is used when this is absent. */
  path?: string;
  /** What to do once the cause is fixed, e.g. "run the import again". */
  retry?: string;
  /** A reassurance that holds where the fault happened, e.g. "nothing imported so far was lost". */
  kept?: string;
  /** For a listening socket: the port asked for. */
  port?: number;
}

/** The error code of a Node system error or an SQLite error (better-sqlite3 puts both in `code`). */
export function faultCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The one translation of system and SQLite error codes into a sentence that names the path, says what is wrong and
 * what to do. Returns null for errors it does not know (and for errors that already explain themselves).
 */
export function explainFault(error: unknown, context: FaultContext = {}): WorkbenchError | null {
  if (error instanceof WorkbenchError) return null;
  const code = faultCode(error);
  if (!code) return null;
  const own = (error as { path?: unknown }).path;
  const where = context.path ?? (typeof own === 'string' ? own : undefined);
  const at = where ? ` ${where}` : '';
  const then = context.retry ? ` and ${context.retry}` : '';
  const kept = context.kept ? `; ${context.kept}` : '';
  const fault = (what: string, todo: string) => new FaultError(code.toLowerCase().replace(/_/g, '-'), `${what}: ${todo}${kept}`);
  const base = code.startsWith('SQLITE_') ? code.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, '$1') : code;
  switch (base) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return fault(`the disk holding${at || ' the project'} is full`, `free some space${then}`);
    case 'EROFS':
      return fault(`${where ?? 'the folder'} is on a read-only disk`, `choose a folder on a writable disk (or remount it writable)${then}`);
    case 'SQLITE_READONLY':
      return fault(`the catalog${at} cannot be written (the file or its folder is read-only)`, `make the project folder and its files writable, or copy the project to a writable disk${then}`);
    case 'EACCES':
    case 'EPERM':
      return fault(`permission denied for${at || ' a file'}`, `choose a place you may read and write, or ask for access to it${then}`);
    case 'ENOTDIR':
      return fault(`part of the path${at} is a file, not a folder`, `check the path for a file name used as a folder`);
    case 'EISDIR':
      return fault(`${where ?? 'the path'} is a folder where a file was expected`, `check the path`);
    case 'ELOOP':
      return fault(`${where ?? 'the path'} goes round a loop of symbolic links`, `use the real folder's path instead of the link`);
    case 'ENAMETOOLONG':
      return fault(`the path${where ? ` ${where.length > 120 ? `${where.slice(0, 60)}…${where.slice(-40)}` : where}` : ''} is too long for the file system`, `choose a shorter folder path or name`);
    case 'ENOENT':
      return fault(`${where ?? 'a file or folder'} does not exist`, `check the path`);
    case 'EEXIST':
      return fault(`${where ?? 'the path'} already exists`, `choose another name or remove it first`);
    case 'EMFILE':
    case 'ENFILE':
      return fault('too many files are open at once', `close other programs or raise the open-file limit${then}`);
    case 'EIO':
    case 'SQLITE_IOERR':
      return fault(`the disk reported a read or write error at${at || ' the project'}`, `check the disk (it may be failing or disconnected), copy the project to a healthy disk${then}`);
    case 'EADDRINUSE':
      return fault(`port ${context.port ?? ''} is already used by another program`.replace('port  ', 'the port '), 'choose another one with --port, or leave --port out to pick a free one');
    case 'EADDRNOTAVAIL':
      return fault('the address to listen on is not available on this machine', 'leave --port out to pick a free one');
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return fault(
        `the catalog${at} is damaged (${code === 'SQLITE_NOTADB' ? 'it is not an SQLite database' : 'SQLite found a malformed page'})`,
        'nothing more was written to it; restore project.sqlite from a backup copy, and run "dwb check --project <folder>" to see what else is damaged',
      );
    case 'SQLITE_CANTOPEN':
      return fault(`the catalog${at} cannot be opened`, 'check that the file and its folder exist and that you may read and write them (a read-only folder or disk cannot hold an open project)');
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return fault(`the catalog${at} is held by another program for too long`, `close other workbench windows or commands on this project${then}`);
    case 'ERR_FS_FILE_TOO_LARGE':
      return fault(`${where ?? 'the file'} is larger than 2 GiB`, 'the workbench reads images up to 2 GiB; export a smaller image');
    default:
      return null;
  }
}

/** `error` as a WorkbenchError when explainFault knows it, else unchanged. */
export function explained(error: unknown, context: FaultContext = {}): unknown {
  return explainFault(error, context) ?? error;
}
