/** One argument as a POSIX shell reads it: reproduction commands are pasted into a shell. */
export function shellQuote(arg: string): string {
  if (/^[\w./:=@%+,-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
