// Exit codes and the error type that carries one. The codes are the BSD sysexits that rabbitmqctl
// also uses, so scripts written for rabbitmqctl read them the same way (see docs/cli.md).

export const EXIT = {
  OK: 0,
  /** Bad command line: unknown command or option, wrong number of arguments, unknown column. */
  USAGE: 64,
  /** The broker refused the request as invalid (HTTP 400), an object already exists, or a JSON argument or file is malformed. */
  DATA: 65,
  /** The file to import cannot be read. */
  NO_INPUT: 66,
  /** The named queue, user, vhost, policy or permission does not exist (HTTP 404). */
  NOT_FOUND: 67,
  /** The management API cannot be reached, or does not speak HTTP, or answers 503. */
  UNAVAILABLE: 69,
  /** The API answered something unexpected (5xx, a body that is not JSON). */
  SOFTWARE: 70,
  /** The export file cannot be written. */
  CANT_CREATE: 73,
  /** No answer within --timeout. */
  TEMP_FAIL: 75,
  /** Wrong user name or password, or a user without the rights the request needs (HTTP 401/403). */
  NO_PERM: 77,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure to report to the user as one message, ending the command with exitCode. */
export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CtlError';
  }
}

/** A command-line mistake: reported with the usage of `command` (or the general usage). */
export class UsageError extends CtlError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, EXIT.USAGE);
    this.name = 'UsageError';
  }
}
