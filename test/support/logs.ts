import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../logging/logger';

/** One pino line as written (JSON), with the fields the tests look at. */
export interface LogLine {
  level: number;
  msg: string;
  name?: string;
  requestId?: string;
  orderId?: string;
  [field: string]: unknown;
}

const ERROR_LEVEL = 50;
/** Lines at this level or above also go to stderr; TEST_LOG_LEVEL=info shows more while debugging. */
const shownFrom = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 }[process.env.TEST_LOG_LEVEL ?? ''] ?? ERROR_LEVEL;

const captures = new Set<LogLine[]>();

/**
 * Where every logger of the test process writes: the API's (through the default logger) and the
 * worker's (through the Temporal Runtime logger). Tests want to hear only about trouble, and
 * captureLogs() sees every line.
 */
const destination = new Writable({
  write(chunk: Buffer | string, _encoding, done) {
    for (const text of String(chunk).split('\n')) {
      if (!text) continue;
      const line = JSON.parse(text) as LogLine;
      for (const capture of captures) capture.push(line);
      if (line.level >= shownFrom) process.stderr.write(`${text}\n`);
    }
    done();
  },
});

/** The test process's root logger, at info so captures see what production logs; children name themselves. */
export const testLogger: Logger = createLogger({ level: 'info', destination });

/** Collects every log line written from now until stop(). */
export function captureLogs(): { lines: LogLine[]; stop(): void } {
  const lines: LogLine[] = [];
  captures.add(lines);
  return { lines, stop: () => void captures.delete(lines) };
}
