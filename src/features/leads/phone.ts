// Mainland China contact numbers: mobile, landline with area code (optional extension), 400/800 numbers.

export type PhoneResult = { ok: true; phone: string } | { ok: false; message: string };

export const PHONE_FORMAT_MESSAGE = '联系电话格式不正确：请填写手机号或座机号';

/**
 * Accepts what people type and returns one canonical form:
 * - mobile `1[3-9]` + 9 digits, with or without +86/0086/86, spaces or hyphens → `13812345678`;
 * - landline with area code: `0513-87654321`, `051387654321`, `(0513)87654321`, `0513 8765 4321`,
 *   with an extension `-123`, `转123`, `ext 123` → `0513-87654321` / `0513-87654321-123`
 *   (010 and 02x are three-digit area codes, all others four digits; the local number is 7–8 digits);
 * - `400`/`800` service numbers → `400-123-4567`.
 * A 7–8 digit number without an area code is refused with a message asking for the area code.
 */
export function normalizePhone(input: string): PhoneResult {
  let t = input.normalize('NFKC').trim().toLowerCase();
  let ext = '';
  const extMatch = /(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$/.exec(t);
  if (extMatch) {
    ext = extMatch[1];
    t = t.slice(0, extMatch.index);
  }
  const compact = t.replace(/[\s\-()（）.]/g, '');
  if (!/^\+?\d+$/.test(compact)) return { ok: false, message: PHONE_FORMAT_MESSAGE };

  const mobile = /^(?:\+?86|0086)?(1[3-9]\d{9})$/.exec(compact);
  if (mobile && !ext) return { ok: true, phone: mobile[1] };

  const service = /^([48]00)(\d{3})(\d{4})$/.exec(compact);
  if (service) return { ok: true, phone: `${service[1]}-${service[2]}-${service[3]}${ext ? `-${ext}` : ''}` };

  // A landline written with its trailing extension separated by a hyphen: 0513-87654321-123.
  if (!ext) {
    const parts = t.replace(/[()（）]/g, ' ').trim().split(/[\s-]+/);
    if (parts.length === 3 && /^0\d{2,3}$/.test(parts[0]) && /^\d{7,8}$/.test(parts[1]) && /^\d{1,6}$/.test(parts[2])) {
      ext = parts[2];
      return landline(parts[0] + parts[1], ext);
    }
  }
  const result = landline(compact.replace(/^(?:\+?86|0086)(?=[1-9])/, '0'), ext);
  if (result.ok) return result;
  if (/^[2-9]\d{6,7}$/.test(compact)) {
    return { ok: false, message: '联系电话格式不正确：座机号请加区号，如 0513-87654321' };
  }
  return result;
}

function landline(digits: string, ext: string): PhoneResult {
  const m = /^(0(?:10|2\d|[3-9]\d{2}))([2-9]\d{6,7})$/.exec(digits);
  if (!m) return { ok: false, message: PHONE_FORMAT_MESSAGE };
  return { ok: true, phone: `${m[1]}-${m[2]}${ext ? `-${ext}` : ''}` };
}
