/** A message as a transport hands it to the consumer loop: still bytes, not yet decoded. */
export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}
