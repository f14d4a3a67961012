import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  applyExpectedFailures,
  exemptCase,
  loadExpectedFailures,
  parseExpectedFailures,
  selectExemptions,
} from '../../src/report/expect-failures.js';
import { caseResult, finding } from './fixtures.js';

const FILE = 'expect/mosquitto.yaml';
const TEXT = `# known deviations of Mosquitto 2.0
- id: dedup-retransmit
  reason: MQTT has no cmid dedup
  findings: [DEDUP-1]
- id: standin-receipt
  reason: no stand-in receipts over MQTT
  verdict: WARN
- id: seq-contiguous
  reason: no inbox seq in MQTT
`;

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseExpectedFailures', () => {
  it('reads id, reason, verdict (FAIL by default), findings and the line of each entry', () => {
    expect(parseExpectedFailures(TEXT, FILE)).toEqual([
      {
        id: 'dedup-retransmit',
        reason: 'MQTT has no cmid dedup',
        verdict: 'FAIL',
        findings: ['DEDUP-1'],
        file: FILE,
        line: 2,
      },
      {
        id: 'standin-receipt',
        reason: 'no stand-in receipts over MQTT',
        verdict: 'WARN',
        file: FILE,
        line: 5,
      },
      { id: 'seq-contiguous', reason: 'no inbox seq in MQTT', verdict: 'FAIL', file: FILE, line: 8 },
    ]);
  });

  it('reads the JSON form too, and an empty file as no exemptions', () => {
    const json = JSON.stringify([{ id: 'a', reason: 'r' }], null, 2);
    expect(parseExpectedFailures(json, 'x.json')).toMatchObject([
      { id: 'a', reason: 'r', verdict: 'FAIL', line: 2 },
    ]);
    expect(parseExpectedFailures('# nothing yet\n', FILE)).toEqual([]);
  });

  it.each([
    ['- id: a\n  reason: r\n  verdict: PASS\n', 3, 'verdict must be FAIL or WARN'],
    ['- id: a\n  reason: r\n- id: b\n', 3, 'exemption "b" needs `reason:`'],
    ['- id: a\n  reason: r\n  why: typo\n', 3, 'unknown key "why"'],
    ['- id: a\n  reason: r\n  findings: DEDUP-1\n', 3, '`findings:` must be a list'],
    ['- id: a\n  reason: r\n- id: a\n  reason: again\n', 3, 'already exempted at line 1'],
    ['id: a\nreason: r\n', 1, 'expected a list of exemptions'],
    ['- id: a\n  reason: r\n- id: [unclosed\n', 4, 'not valid YAML'],
  ])('refuses %j at its line', (text, line, message) => {
    const err = thrown(() => parseExpectedFailures(text, FILE));
    expect(err.message).toContain(`${FILE}:${line}: `);
    expect(err.message).toContain(message);
    expect(err.code).toBe('IMSPEC_ERR_CONFIG');
  });
});

describe('selectExemptions', () => {
  const exemptions = parseExpectedFailures(TEXT, FILE);

  it('applies the entries of the selected cases and lists the others as not run', () => {
    const { active, notRun } = selectExemptions(
      exemptions,
      ['dedup-retransmit'],
      ['dedup-retransmit', 'standin-receipt', 'seq-contiguous', 'other'],
    );
    expect(active.map((e) => e.id)).toEqual(['dedup-retransmit']);
    expect(notRun).toEqual([
      { id: 'standin-receipt', file: FILE, line: 5, unknown: false },
      { id: 'seq-contiguous', file: FILE, line: 8, unknown: false },
    ]);
  });

  it('lists entries of suites that were not loaded as not run, marked unknown', () => {
    const { active, notRun } = selectExemptions(exemptions, ['other-case'], ['other-case']);
    expect(active).toEqual([]);
    expect(notRun.map((e) => [e.id, e.unknown])).toEqual([
      ['dedup-retransmit', true],
      ['standin-receipt', true],
      ['seq-contiguous', true],
    ]);
  });

  it('refuses an id no suite has that looks like a misspelling of a selected case, with file, line and hint', () => {
    const err = thrown(() =>
      selectExemptions(
        exemptions,
        ['dedup-retransmit', 'standin-receipts'],
        ['dedup-retransmit', 'standin-receipts'],
      ),
    );
    expect(err.message).toContain(
      `${FILE}:5: unknown case id "standin-receipt" (did you mean "standin-receipts"?)`,
    );
    expect(err.message).not.toContain('seq-contiguous');
  });
});

describe('applyExpectedFailures', () => {
  const exemptions = parseExpectedFailures(TEXT, FILE);

  it('turns an expected FAIL into XFAIL with the exemption as reason', () => {
    const failing = caseResult('dedup-retransmit', 'FAIL', { findings: [finding('DEDUP-1', 'MUST')] });
    const { cases, stale } = applyExpectedFailures([failing], exemptions);
    expect(cases[0]).toMatchObject({ verdict: 'XFAIL', reason: 'MQTT has no cmid dedup' });
    expect(failing.verdict).toBe('FAIL');
    expect(stale).toEqual([]);
  });

  it('turns an expected WARN into XFAIL, but leaves a FAIL where only WARN was expected', () => {
    const warn = caseResult('standin-receipt', 'WARN', {
      severity: 'SHOULD',
      findings: [finding('RCPT-1', 'MUST')],
    });
    expect(applyExpectedFailures([warn], exemptions).cases[0]!.verdict).toBe('XFAIL');
    const fail = caseResult('standin-receipt', 'FAIL', { findings: [finding('RCPT-1', 'MUST')] });
    const applied = applyExpectedFailures([fail], exemptions).cases[0]!;
    expect(applied.verdict).toBe('FAIL');
    expect(applied.reason).toContain('expects WARN only');
  });

  it('keeps a FAIL whose failing findings are not all expected, saying which are new', () => {
    const failing = caseResult('dedup-retransmit', 'FAIL', {
      findings: [finding('DEDUP-1', 'MUST'), finding('DEDUP-2', 'MUST'), finding('SEQ-4', 'SHOULD')],
      reason: 'DEDUP-1: …',
    });
    const applied = applyExpectedFailures([failing], exemptions).cases[0]!;
    expect(applied.verdict).toBe('FAIL');
    expect(applied.reason).toBe(
      `DEDUP-1: …; not exempted: DEDUP-2 not in the findings expected at ${FILE}:2`,
    );
  });

  it('reports an exemption whose case now passes as stale, and the run fails on it', () => {
    const { cases, stale } = applyExpectedFailures(
      [caseResult('dedup-retransmit', 'PASS'), caseResult('seq-contiguous', 'WARN')],
      exemptions,
    );
    expect(cases.map((c) => c.verdict)).toEqual(['PASS', 'WARN']);
    expect(stale).toEqual([
      { id: 'dedup-retransmit', file: FILE, line: 2, verdict: 'PASS' },
      { id: 'seq-contiguous', file: FILE, line: 8, verdict: 'WARN' },
    ]);
  });

  it('neither applies nor flags exemptions of cases that did not run or could not tell', () => {
    const { cases, stale } = applyExpectedFailures(
      [caseResult('dedup-retransmit', 'UNSUPPORTED'), caseResult('standin-receipt', 'ERROR')],
      exemptions,
    );
    expect(cases.map((c) => c.verdict)).toEqual(['UNSUPPORTED', 'ERROR']);
    expect(stale).toEqual([]);
  });
});

describe('loadExpectedFailures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-xfail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', async () => {
    const path = join(dir, 'xfail.yaml');
    writeFileSync(path, TEXT);
    expect((await loadExpectedFailures(path)).map((e) => e.id)).toEqual([
      'dedup-retransmit',
      'standin-receipt',
      'seq-contiguous',
    ]);
    const missing = join(dir, 'missing.yaml');
    await expect(loadExpectedFailures(missing)).rejects.toThrow(
      `cannot read expected-failures file ${missing}`,
    );
  });
});

describe('exemptCase', () => {
  const exemptions = parseExpectedFailures(TEXT, FILE);

  it('exempts one case as it finishes, and applying the file again at the end changes nothing', () => {
    const failing = caseResult('dedup-retransmit', 'FAIL', {
      findings: [finding('DEDUP-1', 'MUST'), finding('DEDUP-2', 'MUST')],
    });
    const live = exemptCase(failing, exemptions);
    expect(live.reason).toContain('not exempted: DEDUP-2');
    const xfail = exemptCase(caseResult('seq-contiguous', 'FAIL'), exemptions);
    expect(xfail.verdict).toBe('XFAIL');
    const again = applyExpectedFailures([live, xfail], exemptions);
    expect(again.cases).toEqual([live, xfail]);
    expect(again.stale).toEqual([]);
  });
});
