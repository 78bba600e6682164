import { errorCodeOf } from '../../src/model/errorCode.js';

describe('errorCodeOf', () => {
  test('a system error, a native module error or any object with a string code → its code', () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(errorCodeOf(enoent)).toBe('ENOENT');
    expect(errorCodeOf({ code: 'SQLITE_BUSY' })).toBe('SQLITE_BUSY');
  });

  test('no code, a code that is not text, or not an object → undefined', () => {
    expect(errorCodeOf(new Error('plain'))).toBeUndefined();
    expect(errorCodeOf({ code: 28 })).toBeUndefined();
    expect(errorCodeOf('ENOENT')).toBeUndefined();
    expect(errorCodeOf(null)).toBeUndefined();
  });
});
