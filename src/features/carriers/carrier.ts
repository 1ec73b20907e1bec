// 载体 (carriers): the 「新建（盘活）孵化载体汇总表」 (seed 003 附件4) read from a table, the level and kind a
// 建设方向 names, matching a lead to carriers by industry chain and space needed, and progress against the
// office's carrier targets (40万㎡ of incubation space, incubators by level). Pure: no I/O.
import { resolveTown, type OfficeConfig } from '../../office/config.ts';
import { columnLetter, isBlankRow, type TableRow } from '../../platform/imports/table.ts';
import { formatNumber } from '../leads/format.ts';

export const BUILD_MODES = ['new', 'revived', 'upgrade'] as const;
export type BuildMode = (typeof BUILD_MODES)[number];

export const BUILD_MODE_LABELS: Readonly<Record<BuildMode, string>> = { new: '新建载体', revived: '盘活厂房', upgrade: '升级' };

export const CARRIER_LEVELS = ['national', 'provincial'] as const;
export type CarrierLevel = (typeof CARRIER_LEVELS)[number];
export const CARRIER_LEVEL_LABELS: Readonly<Record<CarrierLevel, string>> = { national: '国家级', provincial: '省级' };

/** Upper bound on an area in ㎡ (1,000万㎡): more is a typo. */
export const MAX_AREA_SQM = 10_000_000;
/** Upper bound on tenants kept per carrier. */
export const MAX_TENANTS = 200;

const compact = (s: string) => s.normalize('NFKC').replace(/\s+/g, '');

/** A 建设方式 cell: 新建载体 / 盘活厂房 / 升级 and close words; undefined when not one of them. */
export function parseBuildMode(text: string): BuildMode | undefined {
  const s = compact(text);
  if (/^(新建|新建载体|新建孵化载体|new)$/i.test(s)) return 'new';
  if (/^(盘活|盘活厂房|盘活载体|盘活存量|revived)$/i.test(s)) return 'revived';
  if (/^(升级|提升|改建|升级改造|upgrade)$/i.test(s)) return 'upgrade';
  return undefined;
}

/** The level a 建设方向 names: 国家级… → national, 省级… → provincial, else undefined. */
export function levelOf(direction: string | null | undefined): CarrierLevel | undefined {
  if (!direction) return undefined;
  if (/国家级/.test(direction)) return 'national';
  if (/省级/.test(direction)) return 'provincial';
  return undefined;
}

/** Whether a 建设方向 is a 科技企业孵化器 (not a 众创空间 or 加速器). */
export function isIncubator(direction: string | null | undefined): boolean {
  return !!direction && /孵化器/.test(direction);
}

/** Keywords in a name or 建设方向 that name an industry chain (「省级专业孵化器（合成生物）」 → 合成生物学). */
const CHAIN_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/合成生物/, '合成生物学'],
  [/氢能|燃料电池/, '氢能'],
  [/光电|半导体|电子/, '光电及泛半导体'],
  [/光学/, '精密光学制造'],
  [/智能制造|先进制造|装备/, '高端装备制造'],
  [/新材料|材料/, '前沿新材料'],
  [/汽车|零部件/, '汽车及核心零部件'],
  [/储能|节能/, '储能节能'],
  [/健康|医药|医疗|美谷/, '大健康'],
];

/**
 * The chains a carrier serves when the table does not say: those its name or 建设方向 names (and the office
 * lists), else its town's chains.
 */
export function inferChains(office: OfficeConfig, c: { town: string; name: string; direction?: string | null }): string[] {
  const text = `${c.name} ${c.direction ?? ''}`;
  const named = [...new Set(CHAIN_HINTS.filter(([re]) => re.test(text)).map(([, chain]) => chain))].filter((ch) => office.industries.includes(ch));
  if (named.length > 0) return named;
  return office.towns.find((t) => t.name === c.town)?.chains ?? [];
}

// ---------------------------------------------------------------------------------------------------------
// Reading a 载体汇总表

export interface ParsedCarrier {
  town: string;
  name: string;
  buildMode?: BuildMode;
  direction?: string;
  level?: CarrierLevel;
  areaSqm?: number;
  usedSqm?: number;
  tenants?: string[];
  chains?: string[];
  rowNumber: number;
}

export type CarrierImport = { ok: true; carriers: ParsedCarrier[]; warnings: string[] } | { ok: false; errors: string[] };

interface Columns {
  seq?: number;
  town: number;
  name: number;
  mode?: number;
  direction?: number;
  area?: number;
  used?: number;
  tenants?: number;
  chains?: number;
}

function findColumns(cells: string[]): Columns | undefined {
  const labels = cells.map(compact);
  const find = (re: RegExp, not?: RegExp) => {
    const i = labels.findIndex((l) => l !== '' && l.length <= 16 && re.test(l) && !(not && not.test(l)));
    return i < 0 ? undefined : i;
  };
  const name = find(/载体名称|^载体$|^科创载体$/);
  const town = find(/镇区|^镇|街道|^所在地/);
  if (name === undefined || town === undefined || name === town) return undefined;
  return {
    seq: find(/^(序号|编号|NO\.?)$/i),
    town,
    name,
    mode: find(/建设方式|^方式$/),
    direction: find(/建设方向|^方向$|载体类型|^类型$/),
    used: find(/已用|已使用|使用面积/),
    area: find(/面积/, /已用|已使用|使用面积|需求/),
    tenants: find(/入驻/),
    chains: find(/产业链|产业方向|服务产业/),
  };
}

/** The index of the 载体汇总表 header row (载体名称 and 镇区 columns) among the first rows, or -1. */
export function findCarrierHeader(rows: TableRow[]): number {
  return rows.slice(0, 20).findIndex((r) => findColumns(r.cells) !== undefined);
}

/** Splits a list cell: 「甲公司、乙公司；丙公司」 → three names. */
export function splitList(text: string): string[] {
  return text.split(/[、，,;；/\n]+/).map((s) => s.trim()).filter((s) => s !== '');
}

/** An area cell in ㎡: 「12000」, 「1.2万」, 「12,000㎡」, 「12000平方米」. */
export function parseArea(text: string): number | undefined {
  let s = compact(text).replace(/(㎡|m²|m2|平方米|平米|平方)$/i, '');
  let factor = 1;
  if (/万$/.test(s)) {
    factor = 10_000;
    s = s.slice(0, -1);
  }
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s)) return undefined;
  return Math.round(Number(s) * factor * 100) / 100;
}

/**
 * Validates the rows of a 载体汇总表 (序号, 建设镇区, 科创载体名称, 建设方式, 建设方向; optional 面积, 已用面积,
 * 入驻企业, 服务产业链). Any error refuses the whole file; each error names its row (and column).
 */
export function parseCarrierRows(rows: TableRow[], office: OfficeConfig): CarrierImport {
  if (rows.every(isBlankRow)) return { ok: false, errors: ['表格为空'] };
  const headerIndex = findCarrierHeader(rows);
  if (headerIndex < 0) return { ok: false, errors: ['缺少表头：需要“建设镇区”和“科创载体名称”两列（可另有“序号”“建设方式”“建设方向”“面积”“已用面积”“入驻企业”“服务产业链”）'] };
  const cols = findColumns(rows[headerIndex].cells)!;
  const errors: string[] = [];
  const warnings: string[] = [];
  const carriers: ParsedCarrier[] = [];
  const names = new Map<string, number>();
  const cell = (row: TableRow, col: number | undefined) => (col === undefined ? '' : (row.cells[col] ?? '').replace(/\s*\n\s*/g, '').trim());
  const at = (col: number) => `（${columnLetter(col)}列）`;

  for (const row of rows.slice(headerIndex + 1)) {
    if (isBlankRow(row)) continue;
    const name = cell(row, cols.name);
    const townText = cell(row, cols.town);
    const seqText = compact(cell(row, cols.seq));
    if (/^(注|备注|说明|合计|总计)/.test(compact(name || townText || seqText))) continue;
    const before = errors.length;
    if (name === '') errors.push(`第${row.rowNumber}行：缺少科创载体名称${at(cols.name)}`);
    else if (Array.from(name).length > 100) errors.push(`第${row.rowNumber}行：载体名称超过 100 个字${at(cols.name)}`);
    const town = townText === '' ? undefined : resolveTown(office, townText);
    if (townText === '') errors.push(`第${row.rowNumber}行：缺少建设镇区${at(cols.town)}`);
    else if (!town) errors.push(`第${row.rowNumber}行：未知镇区「${townText}」${at(cols.town)}`);
    if (seqText !== '' && !/^\d+$/.test(seqText)) errors.push(`第${row.rowNumber}行：序号“${seqText}”不是正整数${at(cols.seq!)}`);
    const modeText = cell(row, cols.mode);
    const buildMode = modeText === '' ? undefined : parseBuildMode(modeText);
    if (modeText !== '' && !buildMode) errors.push(`第${row.rowNumber}行：建设方式“${modeText}”应为 新建载体、盘活厂房 或 升级${at(cols.mode!)}`);
    const direction = cell(row, cols.direction);
    if (Array.from(direction).length > 60) errors.push(`第${row.rowNumber}行：建设方向超过 60 个字${at(cols.direction!)}`);
    const area = readArea(row, cols.area, '面积', errors);
    const used = readArea(row, cols.used, '已用面积', errors);
    if (area !== undefined && used !== undefined && used > area) {
      errors.push(`第${row.rowNumber}行：已用面积 ${formatNumber(used)}㎡ 大于面积 ${formatNumber(area)}㎡`);
    }
    const tenants = cols.tenants === undefined ? [] : splitList(cell(row, cols.tenants));
    if (tenants.length > MAX_TENANTS) errors.push(`第${row.rowNumber}行：入驻企业超过 ${MAX_TENANTS} 家`);
    const chainsText = cols.chains === undefined ? [] : splitList(cell(row, cols.chains));
    const unknown = chainsText.filter((c) => !office.industries.includes(c));
    if (unknown.length > 0) errors.push(`第${row.rowNumber}行：产业链「${unknown.join('、')}」不在本地产业链中（${office.industries.join('、')}）`);
    if (name !== '') {
      const dup = names.get(compact(name));
      if (dup !== undefined) errors.push(`第${row.rowNumber}行：载体「${name}」重复（第${dup}行已有）`);
      else names.set(compact(name), row.rowNumber);
    }
    if (errors.length > before) continue;
    const c: ParsedCarrier = { town: town!, name, rowNumber: row.rowNumber };
    if (buildMode) c.buildMode = buildMode;
    if (direction) {
      c.direction = direction;
      const level = levelOf(direction);
      if (level) c.level = level;
    }
    if (area !== undefined) c.areaSqm = area;
    if (used !== undefined) c.usedSqm = used;
    if (tenants.length > 0) c.tenants = tenants;
    if (chainsText.length > 0) c.chains = chainsText;
    carriers.push(c);
  }
  if (carriers.length === 0 && errors.length === 0) errors.push('表格中没有载体');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, carriers, warnings };
}

function readArea(row: TableRow, col: number | undefined, label: string, errors: string[]): number | undefined {
  if (col === undefined) return undefined;
  const text = (row.cells[col] ?? '').trim();
  if (text === '') return undefined;
  const n = parseArea(text);
  if (n === undefined) errors.push(`第${row.rowNumber}行：${label}“${text}”不是数字（单位㎡）（${columnLetter(col)}列）`);
  else if (n > MAX_AREA_SQM) errors.push(`第${row.rowNumber}行：${label} ${formatNumber(n)}㎡ 过大（${columnLetter(col)}列）`);
  else return n;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Matching a lead to carriers

export interface CarrierLike {
  id: number;
  name: string;
  town: string;
  direction?: string | null;
  areaSqm?: number | null;
  usedSqm?: number | null;
  chains: string[];
}

export interface LeadNeed {
  industry?: string | null;
  town: string;
  /** 需求面积, ㎡. */
  spaceSqm?: number | null;
}

export interface CarrierMatch<C extends CarrierLike> {
  carrier: C;
  /** Free area (面积 − 已用), when the area is known. */
  freeSqm?: number;
  sameTown: boolean;
  /** Why it matches, for the card: 「服务氢能」, 「空余 3,000㎡」, 「同镇区」. */
  reasons: string[];
}

/** Free area of a carrier, ㎡, when its area is known. */
export function freeArea(c: { areaSqm?: number | null; usedSqm?: number | null }): number | undefined {
  if (c.areaSqm === null || c.areaSqm === undefined) return undefined;
  return Math.max(0, c.areaSqm - (c.usedSqm ?? 0));
}

/**
 * The carriers a lead fits, best first: a carrier must serve the lead's industry chain (a lead with no chain
 * matches none), and, when the lead states a 需求面积 and the carrier's area is known, have that much free.
 * Carriers in the lead's own town come first, then those with more free area.
 */
export function matchCarriers<C extends CarrierLike>(carriers: readonly C[], need: LeadNeed, limit = 5): Array<CarrierMatch<C>> {
  if (!need.industry) return [];
  const out: Array<CarrierMatch<C>> = [];
  for (const carrier of carriers) {
    if (!carrier.chains.includes(need.industry)) continue;
    const free = freeArea(carrier);
    if (need.spaceSqm && free !== undefined && free < need.spaceSqm) continue;
    const sameTown = carrier.town === need.town;
    const reasons = [`服务${need.industry}`];
    if (free !== undefined) reasons.push(`空余 ${formatNumber(free)}㎡`);
    if (sameTown) reasons.push('同镇区');
    out.push({ carrier, ...(free !== undefined ? { freeSqm: free } : {}), sameTown, reasons });
  }
  out.sort((a, b) => Number(b.sameTown) - Number(a.sameTown) || (b.freeSqm ?? -1) - (a.freeSqm ?? -1) || a.carrier.id - b.carrier.id);
  return out.slice(0, limit);
}

// ---------------------------------------------------------------------------------------------------------
// Targets

export interface CarrierTargets {
  /** 新建盘活科创载体孵化面积, ㎡. */
  areaSqm: number;
  /** 新增科技企业孵化器, by level. */
  incubators: Record<CarrierLevel, number>;
}

export interface CarrierProgress {
  year: number;
  carriers: number;
  areaSqm: number;
  usedSqm: number;
  /** Carriers of the year whose area is not recorded yet. */
  withoutArea: number;
  incubators: Record<CarrierLevel, number>;
  targets: CarrierTargets;
}

/** Progress of one year's carriers against the targets: area recorded, incubators by level (by 建设方向). */
export function carrierProgress(
  year: number,
  carriers: ReadonlyArray<{ areaSqm?: number | null; usedSqm?: number | null; direction?: string | null }>,
  targets: CarrierTargets,
): CarrierProgress {
  const incubators: Record<CarrierLevel, number> = { national: 0, provincial: 0 };
  let area = 0;
  let used = 0;
  let withoutArea = 0;
  for (const c of carriers) {
    if (c.areaSqm === null || c.areaSqm === undefined) withoutArea++;
    else area += c.areaSqm;
    used += c.usedSqm ?? 0;
    const level = levelOf(c.direction);
    if (level && isIncubator(c.direction)) incubators[level]++;
  }
  return { year, carriers: carriers.length, areaSqm: area, usedSqm: used, withoutArea, incubators, targets };
}

/** 「40万」 for 400000, 「1.25万」, else the plain number. */
export function sqmText(n: number): string {
  return n >= 10_000 ? `${formatNumber(Math.round(n / 100) / 100)}万㎡` : `${formatNumber(n)}㎡`;
}

/** One line for the quota progress card and the 双月例会: area and incubators against the targets. */
export function carrierTargetsLine(p: CarrierProgress): string {
  const pct = p.targets.areaSqm > 0 ? `（${formatNumber(Math.round((p.areaSqm / p.targets.areaSqm) * 1000) / 10)}%）` : '';
  const parts = [
    `孵化面积 ${sqmText(p.areaSqm)} / ${sqmText(p.targets.areaSqm)}${pct}`,
    ...CARRIER_LEVELS.map((l) => `${CARRIER_LEVEL_LABELS[l]}孵化器 ${p.incubators[l]} / ${p.targets.incubators[l]}`),
  ];
  const notes = [`共 ${p.carriers} 个载体`];
  if (p.withoutArea > 0) notes.push(`${p.withoutArea} 个未填面积`);
  return `**科创载体**：${parts.join(' · ')}（${notes.join('，')}；孵化器按建设方向统计）`;
}
