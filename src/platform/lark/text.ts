// Feishu text messages are not plain: `<at user_id="all">所有人</at>` notifies the whole group, and style
// tags (<b>, <i>, <u>, <s>), `**bold**` and `[text](url)` links are interpreted too. Whatever a user typed
// and the bot repeats in a text message goes through `userText()`, so it shows as typed and does nothing.
// (Cards escape user text with md() in src/platform/cards/template.ts.)

// The look-alike full-width characters keep the text readable; Feishu interprets none of them.
const LOOKALIKE: Record<string, string> = { '<': '＜', '>': '＞', '[': '［', ']': '］', '*': '＊' };

/** User text for a text message: no mentions, tags, links or bold; control and bidi characters removed. */
export function userText(text: unknown): string {
  if (text === null || text === undefined) return '';
  return String(text)
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '')
    .replace(/[<>[\]*]/g, (c) => LOOKALIKE[c]);
}
