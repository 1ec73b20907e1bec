#!/usr/bin/env node
// One-off tool for issue 13 ("one house per feature"): moves every file of src/ to its new home and
// rewrites every relative path that points at a moved file. Idempotent: run it again after merging a
// branch that still edits or adds files at the old places, and it moves what is still at an old path and
// fixes the imports of every file, including files it does not know.
//
//   node scripts/reorg/moves.mjs            # move (git mv) and rewrite
//   node scripts/reorg/moves.mjs --dry-run  # only list the moves it would make
//
// What it rewrites, in src/, scripts/, test/ and the root config files:
//   - every quoted relative specifier ('./x.ts', '../y/z.ts': imports, exports, import(), new URL(…)):
//     resolved against the file (or, for a file that moved, against its old place), mapped, re-relativised;
//   - every mention of a moved file as `src/<old path>` (comments, README, test strings) → `src/<new path>`.
// Afterwards it lists files still left in a folder the table empties (new files to place by hand).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DRY = process.argv.includes('--dry-run');

/** old path → new path, relative to the repository root. */
export const MOVES = {
  // composition root (knows every feature)
  'src/bot/index.ts': 'src/bot.ts',
  'src/jobs/index.ts': 'src/jobs.ts',

  // platform: knows no feature
  'src/config/env.ts': 'src/platform/config/env.ts',
  'src/db/client.ts': 'src/platform/db/client.ts',
  'src/db/chunks.ts': 'src/platform/db/chunks.ts',
  'src/lark/text.ts': 'src/platform/lark/text.ts',
  'src/errors.ts': 'src/platform/errors.ts',
  'src/db/migrate.ts': 'src/platform/db/migrate.ts',
  'src/db/url.ts': 'src/platform/db/url.ts',
  'src/db/sqlite-serial.ts': 'src/platform/db/sqlite-serial.ts',
  'src/lark/api.ts': 'src/platform/lark/api.ts',
  'src/lark/types.ts': 'src/platform/lark/types.ts',
  'src/lark/intake.ts': 'src/platform/lark/intake.ts',
  'src/lark/identity.ts': 'src/platform/lark/identity.ts',
  'src/lark/ws.ts': 'src/platform/lark/ws.ts',
  'src/lark/outbox.ts': 'src/platform/delivery/outbox.ts',
  'src/bot/inbox.ts': 'src/platform/delivery/inbox.ts',
  'src/jobs/ledger.ts': 'src/platform/delivery/ledger.ts',
  'src/cards/kit.ts': 'src/platform/cards/kit.ts',
  'src/cards/template.ts': 'src/platform/cards/template.ts',
  'src/cards/validate.ts': 'src/platform/cards/validate.ts',
  'src/bot/router.ts': 'src/platform/bot/router.ts',
  'src/bot/services.ts': 'src/platform/bot/services.ts',
  'src/jobs/scheduler.ts': 'src/platform/jobs/scheduler.ts',
  'src/jobs/housekeeping.ts': 'src/platform/jobs/housekeeping.ts',
  'src/http/health.ts': 'src/platform/http/health.ts',
  'src/http/lark.ts': 'src/platform/http/lark.ts',
  'src/domain/time.ts': 'src/platform/time.ts',
  'src/metrics.ts': 'src/platform/metrics.ts',
  'src/imports/read.ts': 'src/platform/imports/read.ts',
  'src/imports/table-worker.mjs': 'src/platform/imports/table-worker.mjs',
  'src/domain/table.ts': 'src/platform/imports/table.ts',

  // the office: its YAML file
  'src/config/office.ts': 'src/office/config.ts',

  // people: role grants and names; the router authorises commands by role, so they are platform
  'src/db/roles.ts': 'src/platform/people.ts',
  'src/features/people/store.ts': 'src/platform/people.ts', // its place in the first run

  // features, lowest first (the order is in .dependency-cruiser.cjs)

  'src/domain/lead.ts': 'src/features/leads/lead.ts',
  'src/domain/lead/code.ts': 'src/features/leads/code.ts',
  'src/domain/lead/company.ts': 'src/features/leads/company.ts',
  'src/domain/lead/creditCode.ts': 'src/features/leads/creditCode.ts',
  'src/domain/lead/fields.ts': 'src/features/leads/fields.ts',
  'src/domain/lead/format.ts': 'src/features/leads/format.ts',
  'src/domain/lead/kinds.ts': 'src/features/leads/kinds.ts',
  'src/domain/lead/phone.ts': 'src/features/leads/phone.ts',
  'src/domain/lead/summary.ts': 'src/features/leads/summary.ts',
  'src/domain/lead/validate.ts': 'src/features/leads/validate.ts',
  'src/domain/lead/values.ts': 'src/features/leads/values.ts',
  'src/domain/scoring.ts': 'src/features/leads/scoring.ts',
  'src/db/leads.ts': 'src/features/leads/store.ts',

  'src/bot/push.ts': 'src/features/push/push.ts',

  'src/domain/workflow.ts': 'src/features/approval/workflow.ts',
  'src/db/approvals.ts': 'src/features/approval/store.ts',
  'src/bot/approval/cards.ts': 'src/features/approval/cards.ts',
  'src/bot/approval/service.ts': 'src/features/approval/service.ts',
  'src/bot/approval/start.ts': 'src/features/approval/start.ts',
  'src/bot/approval/reminders.ts': 'src/features/approval/reminders.ts',
  'src/bot/features/approval.ts': 'src/features/approval/commands.ts',

  'src/domain/activity.ts': 'src/features/activities/activity.ts',
  'src/bot/features/activities.ts': 'src/features/activities/commands.ts',
  'src/jobs/activity-reminders.ts': 'src/features/activities/reminders.ts',

  'src/domain/lifecycle.ts': 'src/features/lifecycle/lifecycle.ts',
  'src/db/lifecycle.ts': 'src/features/lifecycle/store.ts',
  'src/bot/features/lifecycle.ts': 'src/features/lifecycle/commands.ts',
  'src/jobs/follow-ups.ts': 'src/features/lifecycle/follow-ups.ts',

  'src/bot/features/register.ts': 'src/features/register/commands.ts',
  'src/bot/features/register/access.ts': 'src/features/register/access.ts',
  'src/bot/features/register/cards.ts': 'src/features/register/cards.ts',
  'src/bot/features/register/flow.ts': 'src/features/register/flow.ts',
  'src/bot/features/register/form.ts': 'src/features/register/form.ts',
  'src/bot/features/register/views.ts': 'src/features/register/views.ts',

  'src/domain/quota.ts': 'src/features/quotas/quota.ts',
  'src/quota/import.ts': 'src/features/quotas/import.ts',
  'src/quota/export.ts': 'src/features/quotas/export.ts',
  'src/db/quotas.ts': 'src/features/quotas/store.ts',
  'src/bot/quota-cards.ts': 'src/features/quotas/cards.ts',
  'src/bot/features/quota.ts': 'src/features/quotas/commands.ts',
  'src/jobs/quota-alerts.ts': 'src/features/quotas/alerts.ts',

  'src/domain/digest.ts': 'src/features/digests/digest.ts',
  'src/db/digests.ts': 'src/features/digests/store.ts',
  'src/bot/digest-cards.ts': 'src/features/digests/cards.ts',
  'src/bot/features/digests.ts': 'src/features/digests/commands.ts',
  'src/jobs/digests.ts': 'src/features/digests/jobs.ts',

  'src/bot/features/roles.ts': 'src/features/admin/roles.ts',

  'src/bot/features/help.ts': 'src/features/help/help.ts',

  // the sandbox, with the Lark stand-in it serves
  'src/lark/standin.ts': 'src/sandbox/standin.ts',
  'src/lark/standin-ws.ts': 'src/sandbox/standin-ws.ts',
};

const NEW_TO_OLD = Object.fromEntries(Object.entries(MOVES).map(([o, n]) => [n, o]));
/** Folders the table empties: a file left there after the run is one nobody placed yet. */
const EMPTIED = ['src/features/people', 'src/bot', 'src/config', 'src/db', 'src/domain', 'src/http', 'src/imports', 'src/jobs', 'src/lark', 'src/quota', 'src/cards'];

const abs = (p) => join(ROOT, p);
const exists = (p) => existsSync(abs(p));
const git = (...args) => execFileSync('git', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

// 1. git mv every file still at its old place.
let moved = 0;
for (const [from, to] of Object.entries(MOVES)) {
  if (!exists(from)) continue;
  if (exists(to)) {
    console.error(`both ${from} and ${to} exist: merge them by hand`);
    process.exitCode = 1;
    continue;
  }
  console.log(`mv ${from} -> ${to}`);
  moved++;
  if (!DRY) {
    mkdirSync(dirname(abs(to)), { recursive: true });
    git('mv', from, to);
  }
}

// Folders the moves left empty go (git does not track them, and a path into one must not look alive).
function pruneEmpty(dir) {
  if (!exists(dir) || !statSync(abs(dir)).isDirectory()) return;
  for (const name of readdirSync(abs(dir))) pruneEmpty(posix.join(dir, name));
  if (readdirSync(abs(dir)).length === 0) rmdirSync(abs(dir));
}
if (!DRY) for (const d of EMPTIED) pruneEmpty(d);

// 2. Rewrite paths in every file that may hold one.
const SCAN_DIRS = ['src', 'scripts', 'test'];
const SKIP = [/^src\/generated\//, /^src\/sandbox\/public\//, /^scripts\/reorg\//, /node_modules/];
const CODE = /\.(ts|mts|cts|mjs|cjs|js)$/;
const ROOT_FILES = ['vitest.config.ts', 'tsconfig.json', 'prisma.config.ts', 'package.json', 'README.md', 'cards/README.md', '.dependency-cruiser.cjs'];

function walk(dir, out) {
  if (!exists(dir)) return out;
  for (const name of readdirSync(abs(dir))) {
    const p = posix.join(dir, name);
    if (SKIP.some((r) => r.test(p))) continue;
    if (statSync(abs(p)).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const files = [...SCAN_DIRS.flatMap((d) => walk(d, [])).filter((p) => CODE.test(p) || p.endsWith('.md')), ...ROOT_FILES.filter(exists)];

function relSpecifier(fromFile, target, dir) {
  let r = posix.relative(posix.dirname(fromFile), target);
  if (!r.startsWith('.')) r = `./${r}`;
  return dir ? `${r}/` : r;
}

/** The Prisma clients under src/generated/ are built by `npm install` and may be absent: count them as there. */
const present = (p) => exists(p) || p.startsWith('src/generated/');

/** A relative specifier of `file`, made to point where the file it meant lives now. */
function fixSpecifier(file, spec) {
  const dir = spec.endsWith('/');
  const here = posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\/$/, '');
  if (present(here)) return spec; // right already (or never pointed at a moved file)
  // A moved file's specifiers were written for its old place; a file that stayed may name a moved one.
  const origin = NEW_TO_OLD[file] ?? file;
  const candidates = [posix.normalize(posix.join(posix.dirname(origin), spec)).replace(/\/$/, ''), here];
  for (const c of candidates) {
    const target = MOVES[c] ?? c;
    if (present(target)) return relSpecifier(file, target, dir);
  }
  return spec; // points nowhere known: left for tsc to report
}

// Paths built without a specifier, fixed once (each pattern no longer matches after its fix).
const FIXUPS = {
  'src/platform/db/migrate.ts': [[/import\.meta\.url\)\), '\.\.', '\.\.', 'prisma'/, "import.meta.url)), '..', '..', '..', 'prisma'"]],
};

const SPEC = /(['"])(\.\.?\/[^'"\n$]*?(?:\.(?:ts|mts|mjs|cjs|js|json)|\/))\1/g;
const MENTION = /\bsrc\/[\w./-]+\.(?:ts|mjs)\b/g;
let rewritten = 0;
for (const file of DRY ? [] : files) {
  const before = readFileSync(abs(file), 'utf8');
  let after = before;
  if (CODE.test(file)) after = after.replace(SPEC, (m, q, spec) => `${q}${fixSpecifier(file, spec)}${q}`);
  after = after.replace(MENTION, (m) => MOVES[m] ?? m);
  for (const [re, to] of FIXUPS[file] ?? []) after = after.replace(re, to);
  if (after !== before) {
    rewritten++;
    console.log(`rewrite ${file}`);
    writeFileSync(abs(file), after);
  }
}

// 3. What is left where the table empties folders.
const left = EMPTIED.flatMap((d) => walk(d, [])).filter((p) => !(DRY && p in MOVES));
for (const p of left) console.warn(`not in the table, still at an old place: ${p} (add it to MOVES, run again)`);
console.log(`${DRY ? 'would move' : 'moved'} ${moved} file(s), rewrote ${rewritten} file(s)`);
