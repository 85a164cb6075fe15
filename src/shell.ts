/**
 * The one shell quoter: a word a POSIX shell reads back as exactly `s`.
 * Plain words stay as they are unless `always` (hook files quote every value).
 */
export function shellQuote(s: string, opts: { always?: boolean } = {}): string {
  if (!opts.always && /^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
