import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../application/ports/logger.js';
import type { LogLevel } from './config.js';

/** Field paths censored wherever they appear, as a second line of defence behind careful call sites. */
const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'adminToken',
  '*.adminToken',
];

class PinoAdapter implements Logger {
  constructor(private readonly log: PinoLogger) {}
  debug(fields: Record<string, unknown>, message?: string): void {
    this.log.debug(fields, message);
  }
  info(fields: Record<string, unknown>, message?: string): void {
    this.log.info(fields, message);
  }
  warn(fields: Record<string, unknown>, message?: string): void {
    this.log.warn(fields, message);
  }
  error(fields: Record<string, unknown>, message?: string): void {
    this.log.error(fields, message);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new PinoAdapter(this.log.child(bindings));
  }
}

/** JSON lines (pino) to stdout, or to `destination` (tests capture logs this way). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tessera' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return new PinoAdapter(destination ? pino(options, destination) : pino(options));
}
