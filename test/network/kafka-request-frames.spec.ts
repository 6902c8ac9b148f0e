import { KafkaRequestFrames, PRODUCE_API_KEY } from './kafka-request-frames';

/** A request frame: size, API key, then `body` bytes. */
function frame(apiKey: number, body: number): Buffer {
  const buffer = Buffer.alloc(6 + body, 7);
  buffer.writeInt32BE(2 + body, 0);
  buffer.writeInt16BE(apiKey, 4);
  return buffer;
}

describe('KafkaRequestFrames', () => {
  it('names each request once its last byte has passed, however the bytes are split', () => {
    const stream = Buffer.concat([frame(3, 10), frame(PRODUCE_API_KEY, 300), frame(18, 0)]);
    for (const size of [1, 5, 7, 64, stream.length]) {
      const reader = new KafkaRequestFrames();
      const seen: number[] = [];
      const whenLastByte: number[] = [];
      for (let at = 0; at < stream.length; at += size) {
        const chunk = stream.subarray(at, at + size);
        const completed = reader.push(chunk);
        seen.push(...completed);
        if (completed.includes(PRODUCE_API_KEY)) whenLastByte.push(at + chunk.length);
      }
      expect(seen).toEqual([3, PRODUCE_API_KEY, 18]);
      // The produce request completes in the chunk holding its last byte, not before.
      const produceEnd = 16 + 306;
      expect(whenLastByte[0]).toBeGreaterThanOrEqual(produceEnd);
      expect(whenLastByte[0] - size).toBeLessThan(produceEnd);
    }
  });

  it('refuses a stream that is not Kafka requests', () => {
    const reader = new KafkaRequestFrames();
    expect(() => reader.push(Buffer.from([0, 0, 0, 1, 0, 0]))).toThrow(/frame size 1/);
  });
});
