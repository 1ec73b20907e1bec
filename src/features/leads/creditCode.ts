// 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character set.
//   position 1      登记管理部门代码 (1 机构编制, 5 民政, 9 工商, Y 其他, and the codes later assigned to
//                   other authorities: 2–4, 6–8, A, N)
//   position 2      机构类别代码 (a digit 1–9 under every authority, e.g. 91 企业, 92 个体工商户, 93 农民专业合作社)
//   positions 3–8   登记管理机关行政区划码 (GB/T 2260, provinces 11–82)
//   positions 9–17  主体标识码（组织机构代码）
//   position 18     check character: 31 − (Σ value(cᵢ) × wᵢ mod 31), where 31 maps to 0
// The GB 11714 check digit inside the organisation code is deliberately not enforced: older
// registrations do not all follow it, and this field must never block a real company.

export const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const AUTHORITY_CODES = '123456789ANY';

/** The check character for the first 17 characters of a code (upper-case, from the charset). */
export function creditCodeCheckChar(first17: string): string {
  if (first17.length !== 17) throw new RangeError('creditCodeCheckChar needs exactly 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_CHARSET.indexOf(first17[i]);
    if (value < 0) throw new RangeError(`"${first17[i]}" is not a credit-code character`);
    sum += value * WEIGHTS[i];
  }
  const check = 31 - (sum % 31);
  return CREDIT_CODE_CHARSET[check === 31 ? 0 : check];
}

export type CreditCodeResult = { ok: true; code: string } | { ok: false; message: string };

/**
 * Checks a code as typed: full-width characters, lower case, spaces and hyphens are accepted; the result is
 * the 18 upper-case characters. Every failure comes with a Chinese message naming the problem.
 */
export function checkCreditCode(input: string): CreditCodeResult {
  const code = input.normalize('NFKC').replace(/[\s\-－—]/g, '').toUpperCase();
  const chars = Array.from(code);
  if (chars.length !== 18) {
    return { ok: false, message: `统一社会信用代码应为 18 位（当前 ${chars.length} 位）` };
  }
  const bad = chars.filter((c) => !CREDIT_CODE_CHARSET.includes(c));
  if (bad.length > 0) {
    const shown = [...new Set(bad)].map((c) => `「${c}」`).join('');
    return { ok: false, message: `统一社会信用代码含有不允许的字符${shown}：只能是数字和大写字母（不含 I、O、S、V、Z）` };
  }
  if (!AUTHORITY_CODES.includes(code[0])) {
    return { ok: false, message: '统一社会信用代码第 1 位（登记管理部门代码）不正确' };
  }
  if (!/^[1-9]$/.test(code[1])) {
    return { ok: false, message: '统一社会信用代码第 2 位（机构类别代码）不正确' };
  }
  if (!/^[1-8]\d{5}$/.test(code.slice(2, 8))) {
    return { ok: false, message: '统一社会信用代码第 3–8 位应为登记机关的行政区划代码' };
  }
  if (creditCodeCheckChar(code.slice(0, 17)) !== code[17]) {
    return { ok: false, message: '统一社会信用代码校验位不正确：请核对每一位是否抄错' };
  }
  return { ok: true, code };
}
