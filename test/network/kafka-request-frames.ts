/**
 * Reads the request frames of a Kafka client connection as its bytes pass through a `TcpLink`,
 * without holding them back: each request is a big-endian int32 size followed by that many
 * bytes, the first two of which are the API key (0 is Produce). The link uses it to cut a
 * connection right after a whole produce request went through and before its answer came back.
 *
 * Only the size and the two key bytes of each frame are looked at, so a frame's size is never
 * trusted for an allocation: the reader only counts bytes down.
 */
export const PRODUCE_API_KEY = 0;

export class KafkaRequestFrames {
  /** Bytes of the current frame's size and API key read so far (at most 6). */
  private header = Buffer.alloc(6);
  private headerRead = 0;
  /** Bytes of the current frame's body still to come, once its header is read. */
  private remaining = 0;
  private apiKey = -1;

  /** Feeds the next chunk from the client; returns the API keys of the requests it completed. */
  push(chunk: Buffer): number[] {
    const completed: number[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.headerRead < 6) {
        const take = Math.min(6 - this.headerRead, chunk.length - at);
        chunk.copy(this.header, this.headerRead, at, at + take);
        this.headerRead += take;
        at += take;
        if (this.headerRead < 6) break;
        const size = this.header.readInt32BE(0);
        if (size < 2) throw new Error(`not a Kafka request: frame size ${size}`);
        this.apiKey = this.header.readInt16BE(4);
        this.remaining = size - 2;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) {
        completed.push(this.apiKey);
        this.headerRead = 0;
      }
    }
    return completed;
  }
}
