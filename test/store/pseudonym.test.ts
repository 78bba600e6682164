import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { canonicalJson, Pseudonymizer, resolvePseudonymSecret, SECRET_FILE } from '../../src/store/pseudonym.js';

describe('pseudonymous keys', () => {
  const p = new Pseudonymizer('k'.repeat(32));

  test('keyed: the same patient gives the same key, another secret another key; no id in the key', () => {
    expect(p.patientKey('p1')).toBe(p.patientKey('p1'));
    expect(p.patientKey('p1')).not.toBe(p.patientKey('p2'));
    expect(p.patientKey('p1')).not.toBe(new Pseudonymizer('j'.repeat(32)).patientKey('p1'));
    expect(p.patientKey('p1')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('finding key: facts in another key order are the same finding; other facts, kind or patient are not', () => {
    const a = p.findingKey('p1', 'screening-incomplete', { missing: ['TSH', 'CK'], n: 2 });
    expect(p.findingKey('p1', 'screening-incomplete', { n: 2, missing: ['TSH', 'CK'] })).toBe(a);
    expect(p.findingKey('p1', 'screening-incomplete', { missing: ['TSH'], n: 1 })).not.toBe(a);
    expect(p.findingKey('p1', 'screening-abnormal', { missing: ['TSH', 'CK'], n: 2 })).not.toBe(a);
    expect(p.findingKey('p2', 'screening-incomplete', { missing: ['TSH', 'CK'], n: 2 })).not.toBe(a);
  });

  test('canonical JSON sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});

describe('resolvePseudonymSecret', () => {
  test('PSEUDONYM_SECRET wins', () => {
    expect(resolvePseudonymSecret(loadConfig({ PSEUDONYM_SECRET: 'x'.repeat(32) }))).toBe('x'.repeat(32));
  });

  test('development: generated once, kept in DATA_DIR (mode 600), the same on the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nkr-secret-'));
    const first = resolvePseudonymSecret(loadConfig({ DATA_DIR: dir }));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, SECRET_FILE), 'utf8').trim()).toBe(first);
    expect(statSync(join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(resolvePseudonymSecret(loadConfig({ DATA_DIR: dir }))).toBe(first);
    rmSync(dir, { recursive: true, force: true });
  });

  test('development: a kept secret shorter than 32 characters (or empty) is replaced, not used', () => {
    for (const kept of ['', 'x'.repeat(31)]) {
      const dir = mkdtempSync(join(tmpdir(), 'nkr-secret-'));
      writeFileSync(join(dir, SECRET_FILE), `${kept}\n`);
      const secret = resolvePseudonymSecret(loadConfig({ DATA_DIR: dir }));
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(readFileSync(join(dir, SECRET_FILE), 'utf8').trim()).toBe(secret);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('production without PSEUDONYM_SECRET: a configuration error naming it', () => {
    const config = loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org' });
    expect(() => resolvePseudonymSecret(config)).toThrow('Configuration error in PSEUDONYM_SECRET:');
  });
});
