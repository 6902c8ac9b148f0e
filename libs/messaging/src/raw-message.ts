/** A message as a transport hands it to the consumer loop: still bytes, not yet decoded. */
export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The headers Bridge reads (the W3C `traceparent`), as text. */
  headers?: Record<string, string>;
}
