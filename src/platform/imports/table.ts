// Turns an uploaded spreadsheet (CSV or XLSX, given as bytes) into rows of text cells, keeping the row
// numbers the user sees in Excel or WPS. No file system access: callers hand over the buffer.
// exceljs (megabytes of code) is loaded on the first workbook read, not when the bot starts.
import type ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';

export interface TableRow {
  /** 1-based row number as shown by a spreadsheet program (header and blank rows count). */
  rowNumber: number;
  /** Cell texts, trimmed at both ends; internal line breaks are kept. Empty cells are ''. */
  cells: string[];
}

export type TableResult =
  | { ok: true; rows: TableRow[]; format: 'csv' | 'xlsx'; encoding?: 'utf-8' | 'utf-16le' | 'gb18030'; sheet?: string }
  | { ok: false; errors: string[] };

/** Upper bound on rows read from one file; a quota or activity table has a few dozen. */
export const MAX_TABLE_ROWS = 5000;
/** Upper bound on columns: a 任务分解表 has about ten, an 活动安排表 five. */
export const MAX_TABLE_COLUMNS = 100;
/** Upper bound on non-empty cells in one sheet. */
export const MAX_TABLE_CELLS = 100_000;
/** Upper bound on what an XLSX file unpacks to (the sum of its zip entries' uncompressed sizes). */
export const MAX_XLSX_UNPACKED_BYTES = 30 * 1024 * 1024;
/** Upper bound on entries in an XLSX zip (a workbook has a dozen or two). */
export const MAX_XLSX_ENTRIES = 2000;

/** Spreadsheet column letter for a 0-based column index: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** True when every cell of the row is empty. */
export function isBlankRow(row: TableRow): boolean {
  return row.cells.every((c) => c === '');
}

/** Reads a CSV or XLSX buffer. The format comes from the bytes (XLSX is a zip: "PK"), then the file name. */
export async function readTable(buffer: Uint8Array, filename: string): Promise<TableResult> {
  const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const lower = filename.toLowerCase();
  if (bytes.length === 0) return { ok: false, errors: ['文件为空'] };
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  const isOle = bytes.length >= 4 && bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0;
  if (isOle || lower.endsWith('.xls') || lower.endsWith('.et')) {
    return { ok: false, errors: ['不支持旧版 .xls 格式，请在 Excel/WPS 中另存为 .xlsx 或 CSV 后重新上传'] };
  }
  if (isZip) {
    const unpacked = checkZip(bytes);
    if (unpacked) return { ok: false, errors: [unpacked] };
    return readXlsx(bytes);
  }
  if (lower.endsWith('.xlsx')) return { ok: false, errors: ['无法读取 Excel 文件：文件内容不是有效的 .xlsx'] };
  return readCsv(bytes);
}

/** Decodes CSV bytes: UTF-8 (with or without BOM), UTF-16LE with BOM, otherwise GB18030 (covers GBK/GB2312). */
export function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'utf-16le' | 'gb18030' } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030' };
  }
}

function readCsv(bytes: Buffer): TableResult {
  const { text, encoding } = decodeText(bytes);
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: string[][];
  try {
    records = parseCsv(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
    }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    return { ok: false, errors: [`CSV 格式错误${e.lines ? `（第${e.lines}行附近）` : ''}：请检查引号是否成对`] };
  }
  if (records.length > MAX_TABLE_ROWS) return { ok: false, errors: [`表格行数过多（超过${MAX_TABLE_ROWS}行）`] };
  const rows = records.map((cells, i) => ({ rowNumber: i + 1, cells: cells.map((c) => c.trim()) }));
  trimTrailingBlankRows(rows);
  return { ok: true, rows, format: 'csv', encoding };
}

async function readXlsx(bytes: Buffer): Promise<TableResult> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  } catch {
    return { ok: false, errors: ['无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式'] };
  }
  for (const sheet of workbook.worksheets) {
    // Only the cells that exist are visited: a sheet's stated size (rowCount × columnCount) can be
    // 5,000 × 16,384 for three cells at A1, XFD1 and A5000, which would be 82 million look-ups.
    const present: { r: number; c: number; text: string }[] = [];
    let width = 0;
    let height = 0;
    let refusal: string | undefined;
    sheet.eachRow({ includeEmpty: false }, (row, r) => {
      if (refusal) return;
      if (r > MAX_TABLE_ROWS) {
        refusal = `表格行数过多（超过${MAX_TABLE_ROWS}行）`;
        return;
      }
      row.eachCell({ includeEmpty: false }, (cell, c) => {
        if (refusal) return;
        const text = cellText(cell.value).trim();
        if (text === '') return;
        if (c > MAX_TABLE_COLUMNS) {
          refusal = `表格列数过多：第${r}行的 ${columnLetter(c - 1)} 列有内容，最多读取 ${MAX_TABLE_COLUMNS} 列（到 ${columnLetter(MAX_TABLE_COLUMNS - 1)} 列）。请删除多余的列后重新上传`;
          return;
        }
        if (present.length >= MAX_TABLE_CELLS) {
          refusal = `表格内容过多（超过 ${MAX_TABLE_CELLS} 个单元格）`;
          return;
        }
        present.push({ r, c, text });
        if (c > width) width = c;
        if (r > height) height = r;
      });
    });
    if (refusal) return { ok: false, errors: [refusal] };
    if (present.length === 0) continue;
    const rows: TableRow[] = Array.from({ length: height }, (_, i) => ({ rowNumber: i + 1, cells: new Array<string>(width).fill('') }));
    for (const p of present) rows[p.r - 1].cells[p.c - 1] = p.text;
    trimTrailingBlankRows(rows);
    return { ok: true, rows, format: 'xlsx', sheet: sheet.name };
  }
  return { ok: true, rows: [], format: 'xlsx' };
}

/**
 * Reads an XLSX (zip) file's central directory and refuses one that would unpack to more than
 * MAX_XLSX_UNPACKED_BYTES or holds more than MAX_XLSX_ENTRIES entries, before anything is inflated: a 400 KB
 * zip bomb unpacks to 400 MB. The stated sizes can lie; the reader then runs out of its worker's memory
 * or time (src/platform/imports/read.ts) instead of the bot's. Returns the refusal, or undefined when it is fine.
 */
export function checkZip(bytes: Buffer): string | undefined {
  const broken = '无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式';
  // End of central directory: 22 bytes plus a comment of up to 64 KB, at the end of the file.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return broken;
  const entries = bytes.readUInt16LE(eocd + 10);
  const cdOffset = bytes.readUInt32LE(eocd + 16);
  if (entries === 0xffff || cdOffset === 0xffffffff) return `Excel 文件过大（解压后超过 ${MAX_XLSX_UNPACKED_BYTES / 1024 / 1024} MB）`;
  if (entries > MAX_XLSX_ENTRIES) return `Excel 文件内部文件过多（超过 ${MAX_XLSX_ENTRIES} 个），不像是任务分解表或活动安排表`;
  let pos = cdOffset;
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (pos + 46 > bytes.length || bytes.readUInt32LE(pos) !== 0x02014b50) return broken;
    const size = bytes.readUInt32LE(pos + 24);
    total += size;
    if (size === 0xffffffff || total > MAX_XLSX_UNPACKED_BYTES) return `Excel 文件过大（解压后超过 ${MAX_XLSX_UNPACKED_BYTES / 1024 / 1024} MB）`;
    pos += 46 + bytes.readUInt16LE(pos + 28) + bytes.readUInt16LE(pos + 30) + bytes.readUInt16LE(pos + 32);
  }
  return undefined;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Text of an exceljs cell value (merged cells already report their master's value). */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    // exceljs hands dates back as UTC instants holding the wall-clock date typed into the sheet.
    return `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
  }
  if (typeof value === 'object') {
    if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((p) => p.text).join('');
    if ('formula' in value || 'sharedFormula' in value) {
      const result = (value as { result?: unknown }).result;
      return result === undefined ? '' : cellText(result as ExcelJS.CellValue);
    }
    if ('hyperlink' in value && 'text' in value) return cellText(value.text as ExcelJS.CellValue);
    if ('error' in value) return String(value.error);
  }
  return String(value);
}

function trimTrailingBlankRows(rows: TableRow[]): void {
  while (rows.length > 0 && isBlankRow(rows[rows.length - 1])) rows.pop();
}
