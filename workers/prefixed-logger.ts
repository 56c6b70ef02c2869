import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/**
 * A Logger (the Temporal SDK's interface, so the SDK's own loggers fit too) that writes one line
 * per message to the console, prefixed with the part of the process it belongs to.
 */
export function prefixedLogger(prefix: string, threshold: LogLevel = 'INFO'): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (ORDER[level] < ORDER[threshold]) return;
    const line = `[${prefix}] ${message}${meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : ''}`;
    if (ORDER[level] >= ORDER.WARN) console.error(line);
    else console.log(line);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
