import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../../config.ts';
import { redact } from './redaction.ts';

export interface LoggerOptions {
  level: LogLevel;
  service: string;
  structured: boolean;
  /** Where lines go; stdout by default. Tests pass a collecting stream. */
  destination?: DestinationStream;
}

/** Top-level keys of the guide's format; anything else a log call passes goes under `extra`. */
const TOP_LEVEL = new Set(['request_id', 'trace_id', 'service']);

function toExtra(object: Record<string, unknown>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (TOP_LEVEL.has(key)) top[key] = value;
    else if (key === 'err' && value instanceof Error) extra.error = pino.stdSerializers.err(value);
    else extra[key] = value;
  }
  return Object.keys(extra).length > 0 ? { ...top, extra: redact(extra) } : top;
}

/** A human-readable line per entry, for STRUCTURED_LOGGING=false. */
function plainText(target: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          const extra = entry.extra ? ` ${JSON.stringify(entry.extra)}` : '';
          const request = entry.request_id ? ` [${entry.request_id}]` : '';
          target.write(`${entry.timestamp} ${entry.level}${request} ${entry.message ?? ''}${extra}\n`);
        } catch {
          target.write(`${line}\n`);
        }
      }
      callback();
    },
  });
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.level.toLowerCase(),
      messageKey: 'message',
      base: { service: options.service },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label.toUpperCase() }),
        log: (object) => toExtra(object),
      },
    },
    options.structured ? destination : plainText(destination as unknown as NodeJS.WritableStream),
  );
}
