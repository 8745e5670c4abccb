/**
 * recur's error classes. Every error a user can cause with bad input is one of these, with a
 * stable `code` to branch on and a message that names what was expected and what arrived.
 */
export class RecurError extends Error {
  /** A stable identifier, e.g. 'shape', 'dtype', 'format', 'unsupported', 'config', 'value'. */
  readonly code: string;

  constructor(message: string, code = 'recur') {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A tensor arrived with a shape the operation or layer cannot take. */
export class ShapeError extends RecurError {
  constructor(message: string) {
    super(message, 'shape');
  }
}

/** A tensor arrived with a dtype the operation or layer cannot take. */
export class DTypeError extends RecurError {
  constructor(message: string) {
    super(message, 'dtype');
  }
}

/** Where in a file a format error was found. */
export interface FormatLocation {
  /** The file, as the user named it. */
  file?: string;
  /** A tensor, member or field name inside the file. */
  entry?: string;
  /** Byte offset inside the file (or inside the entry). */
  offset?: number;
}

/** A file (or buffer) does not follow its format: truncated, inconsistent, or of the wrong kind. */
export class FormatError extends RecurError {
  /** Where in the file the problem is (file, entry, byte offset), as far as known. */
  readonly location: FormatLocation;

  constructor(message: string, location: FormatLocation = {}) {
    const where = [
      location.file,
      location.entry ? `'${location.entry}'` : undefined,
      location.offset !== undefined ? `byte ${location.offset}` : undefined,
    ].filter(Boolean);
    super(where.length ? `${where.join(', ')}: ${message}` : message, 'format');
    this.location = location;
  }
}

/** A valid request that recur does not implement (an option, an operator, a layer class). */
export class UnsupportedError extends RecurError {
  constructor(message: string) {
    super(message, 'unsupported');
  }
}

/** A configuration or option that is wrong: an unknown key, a bad value, a model graph that does not connect. */
export class ConfigError extends RecurError {
  constructor(message: string) {
    super(message, 'config');
  }
}

/** An argument or a value in the data is out of its allowed range (an index, a rate, a length, a count). */
export class ValueError extends RecurError {
  constructor(message: string) {
    super(message, 'value');
  }
}

/** A size that came from a file or from data is over recur's limits (see `setLimits`). */
export class LimitError extends RecurError {
  constructor(message: string) {
    super(message, 'limit');
  }
}
