import { AUDIT_COLUMNS, type AuditRow, INTEGER_COLUMNS, NULLABLE_COLUMNS } from './audit-row.js';

/**
 * The two file formats of an export and how each is read back.
 *
 * NDJSON: one JSON object per line (`\n`), the row's fields in column order; the last line is
 * `{"manifest":"<compact JWS>"}`.
 *
 * CSV (RFC 4180): CRLF line ends, a header row of the column names, fields quoted when they hold a
 * comma, a quote or a line break (quotes doubled), null as an empty field. The last record is the
 * manifest: `#manifest` in the first column, the compact JWS in the second and the other columns
 * empty, so the file keeps one shape throughout. Readers that know comment lines skip it
 * (pandas `comment="#"`, R `comment.char = "#"`); others see it as a last row whose `eventId` is
 * `#manifest`, which no event id can be.
 */

export type AuditFormat = 'csv' | 'ndjson';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['csv', 'ndjson'];

export const CSV_MANIFEST_MARKER = '#manifest';

export const CONTENT_TYPES: Readonly<Record<AuditFormat, string>> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export interface FormatEncoder {
  /** Text before the first row (the CSV header). */
  header(): string;
  row(row: AuditRow): string;
  trailer(jws: string): string;
}

const ndjsonEncoder: FormatEncoder = {
  header: () => '',
  row: (row) => `${JSON.stringify(row)}\n`,
  trailer: (jws) => `${JSON.stringify({ manifest: jws })}\n`,
};

const csvEncoder: FormatEncoder = {
  header: () => `${AUDIT_COLUMNS.join(',')}\r\n`,
  row: (row) => `${AUDIT_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`,
  trailer: (jws) => `${[CSV_MANIFEST_MARKER, jws, ...AUDIT_COLUMNS.slice(2).map(() => '')].join(',')}\r\n`,
};

export function encoderFor(format: AuditFormat): FormatEncoder {
  return format === 'csv' ? csvEncoder : ndjsonEncoder;
}

/** One record read back from a file: a row (still to be validated), the manifest, or the header. */
export type DecodedRecord =
  | { readonly kind: 'row'; readonly value: Record<string, unknown> }
  | { readonly kind: 'manifest'; readonly jws: string }
  | { readonly kind: 'header' };

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

/** Splits one CSV record into fields (RFC 4180 quoting). */
export function parseCsvRecord(record: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const quote = record.indexOf('"', i);
        if (quote === -1) throw new FormatError('unterminated quoted field');
        value += record.slice(i, quote);
        if (record[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === record.length) return fields;
      if (record[i] !== ',') throw new FormatError('text after a quoted field');
      i += 1;
    } else {
      const comma = record.indexOf(',', i);
      if (comma === -1) {
        fields.push(record.slice(i));
        return fields;
      }
      fields.push(record.slice(i, comma));
      i = comma + 1;
    }
  }
}

function csvValues(fields: readonly string[]): Record<string, unknown> {
  if (fields.length !== AUDIT_COLUMNS.length) {
    throw new FormatError(`has ${fields.length} fields, expected ${AUDIT_COLUMNS.length}`);
  }
  const value: Record<string, unknown> = {};
  AUDIT_COLUMNS.forEach((column, index) => {
    const text = fields[index]!;
    if (text === '' && NULLABLE_COLUMNS.has(column)) value[column] = null;
    else if (INTEGER_COLUMNS.has(column) && /^-?\d+$/.test(text)) value[column] = Number(text);
    else value[column] = text;
  });
  return value;
}

/**
 * Reads records of either format line by line. A CSV record whose quoted field spans lines is
 * joined back together first (a complete record has an even number of quote characters).
 */
export class RecordDecoder {
  private pending: string | null = null;
  private seenHeader = false;

  constructor(private readonly format: AuditFormat) {}

  /**
   * Feeds one line, split at `\n` only (a `\r` before it is kept, so line breaks inside quoted CSV
   * fields come back exactly); returns the record it completes, or null (a blank line, or a record
   * that continues on the next line).
   */
  line(text: string): DecodedRecord | null {
    return this.format === 'csv' ? this.csvLine(text) : ndjsonLine(text);
  }

  /** Whether the input ended inside a CSV record. */
  unfinished(): boolean {
    return this.pending !== null;
  }

  private csvLine(raw: string): DecodedRecord | null {
    const joined = this.pending === null ? raw : `${this.pending}\n${raw}`;
    if ((joined.match(/"/g)?.length ?? 0) % 2 === 1) {
      this.pending = joined;
      return null;
    }
    this.pending = null;
    const record = joined.endsWith('\r') ? joined.slice(0, -1) : joined;
    if (record === '') return null;
    const fields = parseCsvRecord(record);
    if (!this.seenHeader) {
      this.seenHeader = true;
      if (fields.join(',') !== AUDIT_COLUMNS.join(',')) {
        throw new FormatError(`the header is not the export's columns (${AUDIT_COLUMNS.join(',')})`);
      }
      return { kind: 'header' };
    }
    if (fields[0] === CSV_MANIFEST_MARKER) return { kind: 'manifest', jws: fields[1] ?? '' };
    return { kind: 'row', value: csvValues(fields) };
  }
}

function ndjsonLine(text: string): DecodedRecord | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FormatError('is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError('is not a JSON object');
  }
  const object = value as Record<string, unknown>;
  if (Object.keys(object).length === 1 && typeof object.manifest === 'string') {
    return { kind: 'manifest', jws: object.manifest };
  }
  return { kind: 'row', value: object };
}

/** Guesses the format from the first line: the CSV header starts with the first column's name. */
export function detectFormat(firstLine: string): AuditFormat {
  return firstLine.startsWith(`${AUDIT_COLUMNS[0]},`) ? 'csv' : 'ndjson';
}
