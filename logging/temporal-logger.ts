import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from './logger';

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal SDK's logger interface over pino, for `Runtime.install({ logger })`: the SDK's own
 * lines, the workflow `log` and the activity `log` (with the attributes their interceptors add,
 * such as workflowId, orderId and requestId) all become lines of the worker's pino log.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const pinoLevel = PINO_LEVEL[level];
    if (!logger.isLevelEnabled(pinoLevel)) return;
    // The SDK reports failures as `error`; pino serializes `err` with its stack.
    const { error, ...attributes } = meta;
    logger[pinoLevel](error === undefined ? attributes : { ...attributes, err: error }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
