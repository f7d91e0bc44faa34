/**
 * Building command lines from what a person typed into a form, so the line goes through the same
 * parser as a typed command and comes out as exactly those words.
 */

/** Characters the tokenizer (parse.ts) opens or closes a quote with. */
const QUOTES = /["'“”‘’]/g;

/**
 * Free text as words the tokenizer reads back unchanged: each quote character is wrapped in a quote
 * of the other kind (`'` as `"'"`, the others as `'…'` or `"…"`), which the tokenizer joins into the
 * word around it. White space runs become single spaces, as they do for typed text. Preceded by
 * `--`, nothing in it can become a flag.
 */
export const quoteWords = (text: string): string =>
  text
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== '')
    .map((word) => word.replace(QUOTES, (quote) => (quote === "'" ? `"'"` : `'${quote}'`)))
    .join(' ');

/** `command -- free text`: the text as the command's last (rest) argument, never as flags. */
export const withRestArgument = (command: string, text: string): string =>
  `${command} -- ${quoteWords(text)}`;
