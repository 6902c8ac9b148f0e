import { isLoopbackClient } from './embedded-exposure';

describe('isLoopbackClient', () => {
  it('takes IPv4 and IPv6 loopback, mapped or not, and nothing else', () => {
    expect(isLoopbackClient('127.0.0.1')).toBe(true);
    expect(isLoopbackClient('127.8.9.10')).toBe(true);
    expect(isLoopbackClient('::1')).toBe(true);
    expect(isLoopbackClient('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackClient('10.0.0.7')).toBe(false);
    expect(isLoopbackClient('::ffff:192.168.1.2')).toBe(false);
    expect(isLoopbackClient('fe80::1')).toBe(false);
    expect(isLoopbackClient(undefined)).toBe(false);
  });
});
