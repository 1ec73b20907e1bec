// Company names reduced to a key for duplicate checks (Lead.companyNorm).

// Longest first, so 股份有限公司 is taken before 有限公司 and 股份.
const SUFFIXES = [
  '股份有限公司', '有限责任公司', '有限公司', '有限责任', '有限合伙', '普通合伙', '股份', '集团', '公司',
] as const;

/**
 * Normalises a company name for comparison:
 * full-width → half-width (NFKC), case-folded; brackets of every width removed with their content kept;
 * whitespace, punctuation, symbols and invisible format characters removed; then the legal-form words
 * 股份有限公司 / 有限责任公司 / 有限公司 / 有限责任 / 股份 / 集团 / 公司 (and 有限合伙 / 普通合伙 for funds)
 * stripped from the end, repeatedly, as long as something is left.
 * 「苏州（如皋）氢能科技有限公司」 and 「苏州(如皋)氢能科技 有限责任公司」 both become 「苏州如皋氢能科技」.
 */
export function normalizeCompanyName(name: string): string {
  let s = name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\s]+/gu, '');
  for (let changed = true; changed; ) {
    changed = false;
    for (const suffix of SUFFIXES) {
      if (s.endsWith(suffix) && s.length > suffix.length) {
        s = s.slice(0, -suffix.length);
        changed = true;
        break;
      }
    }
  }
  return s;
}
