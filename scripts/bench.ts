/**
 * `npm run bench`: runs the named benchmark sections of scripts/bench/*.ts, in order, or only
 * those given with `--only NAME` (repeatable, or comma-separated). Benchmarks print rates and
 * ratios against a baseline measured in the same run; they assert nothing (STYLE.md).
 *
 * Adding a section is one line in SECTIONS: a module that exports `run(): Promise<void>`. Modules
 * are loaded lazily, so one section's dependencies never slow or break another's run.
 */

interface Section {
  run(): Promise<void>;
}

/** name → [what it measures, loader]. One line per section. */
const SECTIONS: Record<string, [what: string, load: () => Promise<Section>]> = {
  server: ['reference server: durable accepts/s, group commit vs none', () => import('./bench/server.js')],
  proxy: ['fault proxy with no rules vs direct: throughput and latency', () => import('./bench/proxy.js')],
  bots: ['imspec bots vs a bare ws client: msgs/s and CPU per message', () => import('./bench/bots.js')],
  checker: ['checker on a synthetic 1M-message history', () => import('./bench/checker.js')],
  load: [
    'load engine vs a bare ws client: exchange rate, memory per bot, ledger µs/msg',
    () => import('./bench/load.js'),
  ],
};

function usage(): string {
  const names = Object.entries(SECTIONS).map(([name, [what]]) => `  ${name.padEnd(10)} ${what}`);
  return `usage: npm run bench [-- --only NAME[,NAME…]]\nsections:\n${names.join('\n')}`;
}

function selected(argv: string[]): string[] {
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    }
    const value = arg === '--only' ? argv[++i] : arg.startsWith('--only=') ? arg.slice(7) : undefined;
    if (value === undefined) {
      console.error(`bench: unknown argument ${JSON.stringify(arg)}\n${usage()}`);
      process.exit(2);
    }
    only.push(...value.split(',').filter(Boolean));
  }
  for (const name of only) {
    if (!Object.hasOwn(SECTIONS, name)) {
      console.error(`bench: unknown section ${JSON.stringify(name)}\n${usage()}`);
      process.exit(2);
    }
  }
  return only.length > 0 ? only : Object.keys(SECTIONS);
}

for (const name of selected(process.argv.slice(2))) {
  const started = performance.now();
  const section = await SECTIONS[name]![1]();
  await section.run();
  console.log(`  (${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
