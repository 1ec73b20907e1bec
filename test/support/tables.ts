// Spreadsheets for import tests.
import ExcelJS from 'exceljs';
import JSZip from 'jszip';

export async function xlsx(build: (ws: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb.addWorksheet('Sheet1'));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A valid workbook whose first sheet is padded to `mb` megabytes of XML whitespace (it compresses to ~0.1 %). */
export async function zipBomb(mb: number): Promise<Buffer> {
  const zip = await JSZip.loadAsync(await xlsx((ws) => ws.addRows([['镇区', '总数'], ['丁堰镇', 3]])));
  const sheet = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
  zip.file('xl/worksheets/sheet1.xml', sheet.replace('<sheetData>', `<sheetData>${' '.repeat(mb * 1024 * 1024)}`));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}
