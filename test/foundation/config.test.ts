import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, larkReadiness, parseEnv, requireCallbackSecrets } from '../../src/platform/config/env.ts';
import { defaultOffice, loadOffice, resolveTown } from '../../src/office/config.ts';
import { startService } from '../support/process.ts';

describe('environment', () => {
  it('has working defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, HOST: '0.0.0.0', DB_AUTO_MIGRATE: true, LARK_MODE: 'webhook', LARK_DOMAIN: 'https://open.feishu.cn', BOT_TIMEZONE: 'Asia/Shanghai', BOT_ADMINS: [], LOG_LEVEL: 'info' });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DB_AUTO_MIGRATE', 'maybe'],
    ['LARK_MODE', 'socket'],
    ['LARK_DOMAIN', 'not a url'],
    ['BOT_TIMEZONE', 'Mars/Olympus'],
    ['BOT_ADMINS', 'alice,bob'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
  ])('names %s when it is %s', (name, value) => {
    expect(() => parseEnv({ [name]: value })).toThrow(ConfigError);
    try {
      parseEnv({ [name]: value });
    } catch (err) {
      expect((err as Error).message).toContain(`${name}:`);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('reads the values operators set', () => {
    const env = parseEnv({ PORT: '8080', DB_AUTO_MIGRATE: 'false', BOT_ADMINS: 'ou_a1, ou_b2', LARK_APP_ID: 'cli_a1b2c3d4e5f6a7b8', LARK_APP_SECRET: 's', LARK_MODE: 'ws', LARK_DOMAIN: 'https://open.larksuite.com/' });
    expect(env).toMatchObject({ PORT: 8080, DB_AUTO_MIGRATE: false, BOT_ADMINS: ['ou_a1', 'ou_b2'], LARK_MODE: 'ws', LARK_DOMAIN: 'https://open.larksuite.com' });
    expect(() => parseEnv({ LARK_APP_ID: 'cli_x' })).toThrow(/LARK_APP_SECRET/);
  });

  it('says in one line what is missing for Lark', () => {
    expect(larkReadiness(parseEnv({})).message).toMatch(/LARK_APP_ID.*sandbox/);
    expect(larkReadiness(parseEnv({ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 't' })).message).toMatch(/LARK_ENCRYPT_KEY not set, so callbacks are neither signed nor encrypted/);
    expect(larkReadiness(parseEnv({ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', LARK_MODE: 'ws' })).message).toBe('Lark app cli_x via https://open.feishu.cn (ws).');
  });

  it('will not take webhook callbacks it cannot verify: `npm start` without LARK_VERIFICATION_TOKEN stops with one line', async () => {
    expect(() => requireCallbackSecrets(parseEnv({ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', LARK_MODE: 'ws' }))).not.toThrow();
    expect(() => requireCallbackSecrets(parseEnv({}))).not.toThrow();
    // A secret pasted with its line end still matches.
    expect(parseEnv({ LARK_VERIFICATION_TOKEN: ' t0k3n\n', LARK_ENCRYPT_KEY: 'k3y\n' })).toMatchObject({ LARK_VERIFICATION_TOKEN: 't0k3n', LARK_ENCRYPT_KEY: 'k3y' });
    const child = startService({ LARK_APP_ID: 'cli_a1b2c3d4e5f6a7b8', LARK_APP_SECRET: 's' });
    const { code } = await child.exited;
    expect(code).toBe(2);
    const lines = child.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^invalid configuration: LARK_VERIFICATION_TOKEN: is required when LARK_MODE=webhook/);
  });

  it('stops `npm start` with one line naming PORT when PORT=abc', async () => {
    const child = startService({ PORT: 'abc' });
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    const lines = child.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^invalid configuration: PORT: /);
  });
});

describe('office configuration', () => {
  it('defaults to the 13 towns and industry chains of the 如皋 2023 plan', () => {
    const office = defaultOffice();
    expect(office.towns).toHaveLength(13);
    expect(resolveTown(office, '长江镇（如皋港工业园区）')).toBe('长江镇');
    expect(resolveTown(office, '高新区(如城街道、城南街道)')).toBe('高新区');
    expect(office.industries).toContain('氢能');
    expect(office.approval.majorThresholdWan).toBe(10000);
  });

  it('reads a YAML file, keeps defaults for what it leaves out, and names bad keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'office-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'name: 测试市\ntowns:\n  - name: 甲镇\n  - name: 乙镇\n    aliases: [乙街道]\napproval:\n  majorThresholdWan: 5000\n');
    const office = loadOffice(good);
    expect(office.name).toBe('测试市');
    expect(office.towns.map((t) => t.name)).toEqual(['甲镇', '乙镇']);
    expect(office.approval.majorThresholdWan).toBe(5000);
    expect(office.approval.reminderHours).toBe(24);
    expect(office.industries.length).toBeGreaterThan(3);
    const scored = join(dir, 'scored.yaml');
    writeFileSync(scored, 'scoring:\n  tiers: { key: 70, regular: 40 }\n  weights:\n    fund: { investment: 50, chain: 50 }\n');
    const withScoring = loadOffice(scored);
    expect(withScoring.scoring.tiers).toEqual({ key: 70, regular: 40 });
    expect(withScoring.scoring.weights.fund.investment).toBe(50);
    expect(withScoring.scoring.weights.fund.team).toBe(0);
    expect(withScoring.scoring.weights.tech).toEqual(defaultOffice().scoring.weights.tech);
    writeFileSync(scored, 'scoring:\n  needsFund: 8\n');
    expect(() => loadOffice(scored)).toThrow(/scoring: Unrecognized key.*needsFund/);
    writeFileSync(scored, 'scoring:\n  tiers: { key: 30, regular: 40 }\n');
    expect(() => loadOffice(scored)).toThrow(/scoring.tiers/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'schedules:\n  weekly-digest: every monday\n');
    expect(() => loadOffice(bad)).toThrow(/schedules.weekly-digest/);
    expect(() => loadOffice(join(dir, 'missing.yaml'))).toThrow(/BOT_CONFIG: cannot read/);
    // 法定节假日 and 调休上班日, written as YAML dates with or without quotes; a date that does not exist is refused.
    const holidays = join(dir, 'holidays.yaml');
    writeFileSync(holidays, 'approval:\n  holidays: [2026-10-01, "2026-10-02"]\n  makeupWorkdays:\n    - 2026-10-10\n');
    expect(loadOffice(holidays).approval).toMatchObject({ holidays: ['2026-10-01', '2026-10-02'], makeupWorkdays: ['2026-10-10'], workDays: [1, 2, 3, 4, 5] });
    writeFileSync(holidays, 'approval:\n  holidays: [2026-02-30]\n');
    expect(() => loadOffice(holidays)).toThrow('approval.holidays.0: must be a date such as "2026-10-01"');
  });

  it('refuses names that do not agree: chains outside industries, a park in no town, twice-listed names, work hours backwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'office-'));
    const file = join(dir, 'office.yaml');
    const load = (yaml: string) => {
      writeFileSync(file, yaml);
      return () => loadOffice(file);
    };
    const towns = 'towns:\n  - { name: 甲镇, aliases: [甲街道], chains: [氢能] }\n  - { name: 乙镇 }\n';
    const industries = 'industries: [氢能, 大健康]\n';
    expect(load(`${towns}${industries}parks:\n  - { name: 氢能园, town: 甲镇, chains: [氢能] }\n`)()).toMatchObject({ industries: ['氢能', '大健康'] });

    expect(load(`${towns.replace('chains: [氢能]', 'chains: [氢 能]')}${industries}parks: []\n`)).toThrow('towns: 甲镇: chains "氢 能" not in industries');
    expect(load(`${towns}${industries}parks:\n  - { name: 氢能园, chains: [氢能, 大建康] }\n`)).toThrow('parks: 氢能园: chains "大建康" not in industries');
    expect(load(`${towns}${industries}parks:\n  - { name: 氢能园, town: 丙镇, chains: [氢能] }\n`)).toThrow('parks: 氢能园: town "丙镇" is not a town name in towns');
    expect(load(`${towns}${industries}parks:\n  - { name: 氢能园, town: 甲街道, chains: [氢能] }\n`)).toThrow('parks: 氢能园: town "甲街道" is not a town name (write "甲镇")');
    expect(load(`${towns}industries: [氢能, 大健康, 氢能]\nparks: []\n`)).toThrow('industries: "氢能" appears twice');
    expect(load(`${towns}${industries}parks: []\napproval:\n  workHours: { start: 18, end: 9 }\n`)).toThrow('approval.workHours: start (18) must be before end (9)');
    expect(load('approval:\n  holidays: [2026-10-01]\n  makeupWorkdays: [2026-10-10, 2026-10-01]\n')).toThrow('approval: 2026-10-01 both in holidays and in makeupWorkdays');
    // Dropping an industry the built-in towns and parks use is caught too, each named.
    const dropped = load('industries: [精密光学制造, 高端装备制造, 光电及泛半导体, 前沿新材料, 汽车及核心零部件, 储能节能, 合成生物学, 大健康]\n');
    expect(dropped).toThrow(/^BOT_CONFIG .*: towns: 开发区: chains "氢能" not in industries; parks: 氢能产业园: chains "氢能" not in industries$/);
    expect(load('towns:\n  - { name: 甲镇 }\n  - { name: 乙镇, aliases: [甲镇] }\n')).toThrow('towns: "甲镇" appears twice');
  });

  it('lists the stages before 签约 (default 接洽 → 在谈) and the 协调事项 departments', () => {
    expect(defaultOffice().pipeline.preSigning).toEqual([{ code: 'contact', label: '接洽' }, { code: 'negotiating', label: '在谈' }]);
    expect(defaultOffice().coordination.departments).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'office-'));
    const file = join(dir, 'office.yaml');
    const load = (yaml: string) => {
      writeFileSync(file, yaml);
      return () => loadOffice(file);
    };
    const office = load('pipeline:\n  preSigning:\n    - { code: visit, label: 走访 }\n    - { code: negotiating, label: 洽谈 }\ncoordination:\n  departments: [自然资源和规划局, 人社局]\n')();
    expect(office.pipeline.preSigning.map((p) => p.label)).toEqual(['走访', '洽谈']);
    expect(office.coordination.departments).toEqual(['自然资源和规划局', '人社局']);
    expect(load('pipeline:\n  preSigning: []\n')().pipeline.preSigning).toEqual([]);
    expect(load('pipeline:\n  preSigning:\n    - { code: signed, label: 预签约 }\n')).toThrow('pipeline.preSigning.0.code: is a built-in stage code');
    expect(load('pipeline:\n  preSigning:\n    - { code: 在谈, label: 在谈 }\n')).toThrow(/pipeline.preSigning.0.code: must be lower-case letters/);
    expect(load('pipeline:\n  preSigning:\n    - { code: a, label: 洽谈 }\n    - { code: b, label: 洽谈 }\n')).toThrow('pipeline.preSigning: label "洽谈" appears twice or is a built-in stage');
    expect(load('coordination:\n  departments: [人社局, 人社局]\n')).toThrow('coordination.departments: a department appears twice');
  });
});
