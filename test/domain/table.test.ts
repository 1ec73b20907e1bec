// Reading uploaded tables within limits: the sheet's real cells, not its stated size; the zip's stated
// unpacked size before anything is inflated; and the worker that bounds memory and time.
import { describe, expect, it } from 'vitest';
import { checkZip, MAX_TABLE_COLUMNS, readTable } from '../../src/platform/imports/table.ts';
import { readTableIsolated } from '../../src/platform/imports/read.ts';
import { xlsx, zipBomb } from '../support/tables.ts';

describe('reading an XLSX within limits', () => {
  it('reads the cells that exist: three cells at A1, XFD1 and A5000 are refused by column, without visiting 82 million', async () => {
    const wide = await xlsx((ws) => {
      ws.getCell('A1').value = '镇区';
      ws.getCell('XFD1').value = 'x';
      ws.getCell('A5000').value = '丁堰镇';
    });
    expect(wide.length).toBeLessThan(10_000);
    const r = await readTable(wide, '任务分解表.xlsx');
    expect(r).toEqual({ ok: false, errors: [`表格列数过多：第1行的 XFD 列有内容，最多读取 ${MAX_TABLE_COLUMNS} 列（到 CV 列）。请删除多余的列后重新上传`] });
  });

  it('keeps row numbers and blank cells as a spreadsheet shows them', async () => {
    const r = await readTable(await xlsx((ws) => {
      ws.getCell('A1').value = '镇区';
      ws.getCell('C1').value = '总数';
      ws.getCell('A3').value = '丁堰镇';
      ws.getCell('C3').value = 4;
    }), 'q.xlsx');
    expect(r).toMatchObject({ ok: true, rows: [{ rowNumber: 1, cells: ['镇区', '', '总数'] }, { rowNumber: 2, cells: ['', '', ''] }, { rowNumber: 3, cells: ['丁堰镇', '', '4'] }] });
  });

  it('refuses a zip bomb from its directory before inflating it', async () => {
    const bomb = await zipBomb(40);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(checkZip(bomb)).toBe('Excel 文件过大（解压后超过 30 MB）');
    expect(await readTable(bomb, '任务分解表.xlsx')).toEqual({ ok: false, errors: ['Excel 文件过大（解压后超过 30 MB）'] });
  });

  it('a reader in a worker that runs past its time is stopped and the file refused', async () => {
    const ok = await readTableIsolated(await xlsx((ws) => ws.addRows([['镇区', '总数'], ['丁堰镇', 3]])), 'q.xlsx');
    expect(ok).toMatchObject({ ok: true, rows: [{ cells: ['镇区', '总数'] }, { cells: ['丁堰镇', '3'] }] });
    const late = await readTableIsolated(await zipBomb(20), 'q.xlsx', { timeoutMs: 1, memoryMb: 256 });
    expect(late).toEqual({ ok: false, errors: ['文件处理超时（超过 1 秒），未导入任何数据。请确认文件内容后重新发送'] });
  });
});
