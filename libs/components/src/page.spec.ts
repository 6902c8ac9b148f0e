import { pageQuery } from './page';

describe('pageQuery', () => {
  it('starts from the beginning without a cursor', () => {
    expect(pageQuery(undefined, 50)).toBe('limit=50');
    expect(pageQuery(null, 50)).toBe('limit=50');
  });

  it('URL-encodes the opaque cursor', () => {
    expect(pageQuery('a b&c=d', 10)).toBe('after=a+b%26c%3Dd&limit=10');
  });
});
