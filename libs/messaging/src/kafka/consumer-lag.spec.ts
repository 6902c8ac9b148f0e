import { partitionLag } from './consumer-lag';

describe('partitionLag', () => {
  it('counts the messages past the committed offset', () => {
    expect(partitionLag({ partition: 0, low: '0', high: '120', committed: '100' }, true)).toBe(20);
  });

  it('is zero for a group that is caught up', () => {
    expect(partitionLag({ partition: 1, low: '5', high: '42', committed: '42' }, false)).toBe(0);
  });

  it('counts everything retained when a group that starts from the beginning never committed', () => {
    expect(partitionLag({ partition: 2, low: '10', high: '25', committed: '-1' }, true)).toBe(15);
  });

  it('does not know the lag of a group that starts at the end before its first commit', () => {
    expect(
      partitionLag({ partition: 2, low: '10', high: '25', committed: '-1' }, false),
    ).toBeNull();
  });

  it('counts from the start of the retained range when retention deleted past the commit', () => {
    expect(partitionLag({ partition: 3, low: '50', high: '60', committed: '20' }, true)).toBe(10);
  });
});
