// Small helpers every benchmark uses: timing, memory, and a plain-text table.

export async function timed(fn) {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export function rssMiB() {
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

/** Prints rows (arrays of cells) under a header as an aligned table. */
export function printTable(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(line(cells[0]));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of cells.slice(1)) console.log(line(r));
}
