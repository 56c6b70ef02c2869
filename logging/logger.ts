import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../domain/config';

export type { Logger };

export interface LoggerOptions {
  /** Which process writes the lines: `api`, `worker`, `stack`; absent when children name themselves. */
  name?: string;
  level: LogLevel;
  /** Where the lines go; standard output by default. */
  destination?: DestinationStream;
}

/**
 * A process's pino logger: one JSON object per line, for log collectors, except on a terminal,
 * where a person reads them and gets pino-pretty's coloured lines instead.
 */
export function createLogger({ name, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      ...(name === undefined ? {} : { name }),
      level,
      // Credentials must never reach a log line, whichever object carries them.
      redact: { paths: ['*.headers.authorization', '*.headers["x-api-key"]', 'authorization', '["x-api-key"]'], censor: '[redacted]' },
    },
    destination ?? standardOutput(),
  );
}

function standardOutput(): DestinationStream {
  if (process.stdout.isTTY) {
    return pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  // Synchronous, so the last lines before process.exit() are not lost.
  return pino.destination({ fd: 1, sync: true });
}

let fallback: Logger | undefined;

/**
 * The logger for code nobody handed one to (a test building an app without a logger, a library
 * default): LOG_LEVEL from the environment, standard output. Processes create their own with
 * createLogger and pass it down; tests point this one at a stream of their own.
 */
export function defaultLogger(): Logger {
  fallback ??= createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info' });
  return fallback;
}

export function setDefaultLogger(logger: Logger): void {
  fallback = logger;
}
