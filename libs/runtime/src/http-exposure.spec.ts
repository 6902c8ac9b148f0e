import { loadConfig } from '@bridge/config';
import { hostNameOf, isAllowedHost, servedOnPort } from './http-exposure';

describe('the Host check', () => {
  it('reads the host name of a Host header, without port or brackets', () => {
    expect(hostNameOf('127.0.0.1:3000')).toBe('127.0.0.1');
    expect(hostNameOf('LocalHost')).toBe('localhost');
    expect(hostNameOf('[::1]:3000')).toBe('::1');
    expect(hostNameOf('bridge.example.org')).toBe('bridge.example.org');
    expect(hostNameOf(undefined)).toBeNull();
    expect(hostNameOf('a:b:c')).toBeNull();
  });

  it('on a server bound to loopback, lets loopback names in and refuses a rebound domain', () => {
    const { allowedHosts } = loadConfig({}).http;
    expect(isAllowedHost('127.0.0.1:3000', allowedHosts)).toBe(true);
    expect(isAllowedHost('localhost:3000', allowedHosts)).toBe(true);
    expect(isAllowedHost('[::1]:3000', allowedHosts)).toBe(true);
    expect(isAllowedHost('attacker.example:3000', allowedHosts)).toBe(false);
    expect(isAllowedHost(undefined, allowedHosts)).toBe(false);
  });

  it('takes the configured names, and no check for * or a server bound elsewhere', () => {
    const listed = loadConfig({ HTTP_ALLOWED_HOSTS: 'bridge.internal, Bridge.Example.org' }).http;
    expect(isAllowedHost('bridge.example.org', listed.allowedHosts)).toBe(true);
    expect(isAllowedHost('localhost', listed.allowedHosts)).toBe(false);
    expect(loadConfig({ HTTP_ALLOWED_HOSTS: '*' }).http.allowedHosts).toBeNull();
    expect(loadConfig({ HTTP_HOST: '0.0.0.0' }).http.allowedHosts).toBeNull();
  });
});

describe('the management port', () => {
  it('serves metrics and health only there, everything else only on the main port', () => {
    expect(servedOnPort('/metrics', 9100, 9100)).toBe(true);
    expect(servedOnPort('/health/ready', 9100, 9100)).toBe(true);
    expect(servedOnPort('/api/v1/bridge/sync/events', 9100, 9100)).toBe(false);
    expect(servedOnPort('/metrics', 3000, 9100)).toBe(false);
    expect(servedOnPort('/healthy-looking', 3000, 9100)).toBe(true);
    expect(servedOnPort('/api/v1/bridge/sync/events', 3000, 9100)).toBe(true);
    expect(servedOnPort('/metrics', 3000, null)).toBe(true);
  });
});

describe('trust proxy', () => {
  it('is off by default and takes a hop count or a list of addresses', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ HTTP_TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ HTTP_TRUST_PROXY: 'loopback,10.0.0.0/8' }).http.trustProxy).toBe(
      'loopback,10.0.0.0/8',
    );
    expect(() => loadConfig({ HTTP_TRUST_PROXY: 'every one!' })).toThrow(/HTTP_TRUST_PROXY/);
  });
});
